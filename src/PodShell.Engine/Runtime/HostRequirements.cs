using System.Text.RegularExpressions;

namespace PodShell.Engine.Runtime;

/// <summary>Every program the module starts, looked up where the engine looks it up (<see cref="HostProgram"/>):
/// Test-ContainerHost's answer before the first container, and the apt-get line that installs what is missing.
/// The engine itself still checks each program where it starts it (ConmonNotFound, NetavarkNotFound...): this list
/// only tells in advance.</summary>
public static class HostRequirements
{
    // Name, package, feature, what needs it, an alternative that does the same job, and whether --version is cheap
    // and answers (newuidmap has no --version: it prints its usage).
    private sealed record Entry(string Name, string Package, string Feature, string NeededFor, string? Alternative = null,
        bool HasVersion = true, IReadOnlyList<string>? Directories = null);

    // netavark and aardvark-dns are looked up as NetavarkDriver does: podman's helper directories first.
    private static readonly string[] NetavarkDirectories = { "/usr/lib/podman", "/usr/libexec/podman", "/usr/local/lib/podman", "/usr/bin", "/usr/local/bin" };

    private static readonly Entry[] Entries =
    {
        new("runc", "runc", "Containers", "the OCI runtime that creates every container (or crun)", Alternative: "crun"),
        new("crun", "crun", "Containers", "the OCI runtime preferred on a pure cgroup v2 host (or runc)", Alternative: "runc"),
        new("conmon", "conmon", "Containers", "the monitor that keeps each container's output and exit code"),
        new("catatonit", "catatonit", "Init", "New-Container -Init, and the rootless pause process"),
        new("netavark", "netavark", "Networks", "container networks with DNS (New-ContainerNetwork)", Directories: NetavarkDirectories),
        new("aardvark-dns", "aardvark-dns", "Networks", "the DNS server of a container network", Directories: NetavarkDirectories),
        new("iptables", "iptables", "Networks", "the firewall rules of the bridge network and of netavark's networks"),
        new("newuidmap", "uidmap", "Rootless", "rootless containers: the user's subordinate uids", HasVersion: false),
        new("newgidmap", "uidmap", "Rootless", "rootless containers: the user's subordinate gids", HasVersion: false),
        new("slirp4netns", "slirp4netns", "Rootless", "the network of a rootless container"),
        new("fuse-overlayfs", "fuse-overlayfs", "Rootless", "a rootless container's root where the kernel refuses unprivileged overlay"),
    };

    private static readonly Regex VersionPattern = new(@"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?(?:[-+~][\w.+~-]*)?)", RegexOptions.CultureInvariant);

    /// <summary>Each program, found or not. <paramref name="versions"/>: ask each found program its version (one
    /// short process each, 2 s at most).</summary>
    public static IReadOnlyList<HostRequirement> Check(bool versions = true)
    {
        var found = Entries.ToDictionary(e => e.Name, e => Usable(HostProgram.Find(e.Name, e.Directories)));
        return Entries.Select(e =>
        {
            var path = found[e.Name];
            var status = path != null ? HostRequirementStatus.Found
                : e.Alternative != null && found[e.Alternative] != null ? HostRequirementStatus.Alternative
                : HostRequirementStatus.Missing;
            return new HostRequirement
            {
                Name = e.Name, Status = status, Path = path, Package = e.Package, Feature = e.Feature, NeededFor = e.NeededFor,
                Version = path != null && versions && e.HasVersion ? ReadVersion(path, e.Name) : null,
            };
        }).ToList();
    }

    /// <summary>The path, or null when it is a symbolic link to nothing: Debian's /usr/bin/runc points at
    /// /usr/sbin/runc, and a link whose target is gone is no program (File.Exists is true for the link itself).</summary>
    private static string? Usable(string? path)
    {
        if (path is null) return null;
        try { return File.ResolveLinkTarget(path, returnFinalTarget: true) is { Exists: false } ? null : path; }
        catch (IOException) { return null; } // a link loop
    }

    /// <summary>The one line that installs the Debian packages of the missing programs; null when nothing is missing.</summary>
    public static string? InstallCommand(IEnumerable<HostRequirement> requirements)
    {
        var packages = requirements.Where(r => r.IsMissing).Select(r => r.Package).Distinct(StringComparer.Ordinal).ToList();
        return packages.Count == 0 ? null : "apt-get install --no-install-recommends " + string.Join(' ', packages);
    }

    /// <summary>The version in the first output line that names the program ("runc version 1.1.5+ds1",
    /// "tini version 0.1.7_catatonit", "aardvark-dns 1.4.0" after a syslog complaint), or null.</summary>
    internal static string? ParseVersion(string output, string name)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.FirstOrDefault(l => l.Contains(name, StringComparison.OrdinalIgnoreCase) && VersionPattern.IsMatch(l))
            ?? lines.FirstOrDefault(l => l.Contains("version", StringComparison.OrdinalIgnoreCase) && VersionPattern.IsMatch(l));
        return line is null ? null : VersionPattern.Match(line).Groups[1].Value;
    }

    private static string? ReadVersion(string path, string name)
    {
        try
        {
            var r = ProcessRunner.Run(path, new[] { "--version" }, TimeSpan.FromSeconds(2));
            return ParseVersion(r.Stdout + "\n" + r.Stderr, name);
        }
        // A program that hangs or cannot be started has no cheap version; it is still found.
        catch (PodShellException) { return null; }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
