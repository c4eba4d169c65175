using System.Net;
using System.Text.RegularExpressions;

namespace PodShell.Engine.Images.Registry;

/// <summary>A fully qualified image reference on a registry: registry host[:port], repository, and a tag
/// or a digest. Parsing follows distribution/reference: the first path component is a registry when it
/// has a '.', a ':' or is "localhost"; Docker Hub names get "library/" when they have no namespace.</summary>
public sealed partial class RegistryReference
{
    public const string DockerHub = "docker.io";
    /// <summary>Docker Hub's API host: "docker.io" is only the name images are known by.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";
    public const string SearchListVariable = "PODSHELL_REGISTRIES_SEARCH";

    public string Registry { get; }
    public string Repository { get; }
    public string? Tag { get; }
    public string? Digest { get; }

    public RegistryReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Digest = digest;
        Tag = tag ?? (digest is null ? "latest" : null);
    }

    /// <summary>The tag or digest, as it goes in /v2/&lt;name&gt;/manifests/&lt;reference&gt;.</summary>
    public string ManifestReference => Digest ?? Tag!;

    /// <summary>The host the HTTP API is on.</summary>
    public string ApiHost => Registry == DockerHub ? DockerHubApiHost : Registry;

    /// <summary>registry/repo:tag, or registry/repo@digest when pulled by digest (the local name Podman gives).</summary>
    public override string ToString() => Digest is not null ? $"{Registry}/{Repository}@{Digest}" : $"{Registry}/{Repository}:{Tag}";

    public RegistryReference WithDigest(string digest) => new(Registry, Repository, null, digest);

    /// <summary>True for localhost, 127.0.0.0/8 and ::1, which Docker lets speak plain HTTP.</summary>
    public bool IsLoopback
    {
        get
        {
            var host = Registry;
            if (host.StartsWith('['))
                host = host[1..host.IndexOf(']')];
            else if (host.Count(c => c == ':') == 1)
                host = host[..host.IndexOf(':')];
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
        }
    }

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\z")]
    private static partial Regex HostPattern();

    /// <summary>The registries an unqualified name ("alpine", "team/app") is looked up on, in order:
    /// PODSHELL_REGISTRIES_SEARCH (comma-separated), else docker.io.</summary>
    public static IReadOnlyList<string> SearchRegistries()
    {
        var v = Environment.GetEnvironmentVariable(SearchListVariable);
        var list = (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.TrimEnd('/')).Where(r => r.Length > 0).ToList();
        return list.Count > 0 ? list : new[] { DockerHub };
    }

    /// <summary>Whether the name names its registry (its first component has '.', ':' or is localhost).</summary>
    public static bool IsQualified(string name)
    {
        int slash = name.IndexOf('/');
        if (slash < 0) return false;
        var first = name[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" || first.StartsWith('[');
    }

    /// <summary>Parse a qualified reference, or an unqualified one against <paramref name="defaultRegistry"/>.
    /// Invalid references are refused with "InvalidImageReference".</summary>
    public static RegistryReference Parse(string reference, string defaultRegistry = DockerHub)
    {
        if (string.IsNullOrWhiteSpace(reference))
            throw Invalid(reference ?? "", "it is empty");
        var rest = reference.Trim();
        foreach (var scheme in new[] { "docker://", "http://", "https://" })
            if (rest.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
                rest = rest[scheme.Length..];

        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!BlobStore.IsValidDigest(digest)) throw Invalid(reference, $"'{digest}' is not a sha256:<64 hex> digest");
        }

        string registry;
        if (IsQualified(rest))
        {
            int slash = rest.IndexOf('/');
            registry = rest[..slash];
            rest = rest[(slash + 1)..];
        }
        else
        {
            registry = defaultRegistry;
        }
        if (!HostPattern().IsMatch(registry)) throw Invalid(reference, $"'{registry}' is not a registry host[:port]");
        registry = registry.ToLowerInvariant();
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;

        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon >= 0 && colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) throw Invalid(reference, $"'{tag}' is not a valid tag");
        }
        if (!RepositoryPattern().IsMatch(rest))
            throw Invalid(reference, $"'{rest}' is not a valid repository (lower-case letters, digits and . _ - separated by /)");
        if (registry == DockerHub && !rest.Contains('/')) rest = "library/" + rest;
        // A tag and a digest together: the digest wins, as in Docker.
        return new RegistryReference(registry, rest, digest is null ? tag : null, digest);
    }

    /// <summary>Every reference a name may mean: itself when qualified, else one per search registry.</summary>
    public static IReadOnlyList<RegistryReference> Candidates(string name, IReadOnlyList<string>? searchRegistries = null)
    {
        if (IsQualified(name.Trim())) return new[] { Parse(name) };
        return (searchRegistries ?? SearchRegistries()).Select(r => Parse(name, r)).ToList();
    }

    private static PodShellException Invalid(string reference, string why) =>
        new(ErrorIds.InvalidImageReference, FailureKind.InvalidArgument, $"'{reference}' is not a valid image reference: {why}.", reference);
}
