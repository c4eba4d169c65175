using System.Management.Automation;

namespace PodShell;

/// <summary>Lists containers (all states, like podman ps -a), reconciled with what the kernel and
/// conmon know at the moment of the call. -State, -Label and -Image filter the result as podman ps
/// --filter status=, label= and ancestor= do; they are applied here, over the engine's objects.</summary>
[Cmdlet(VerbsCommon.Get, "Container", DefaultParameterSetName = "ByName")]
[OutputType(typeof(Container))]
public sealed class GetContainerCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>Only containers in one of these states.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public ContainerState[]? State { get; set; }

    /// <summary>Only containers with all these labels: a hashtable, or 'key=value' / 'key' strings.</summary>
    [Parameter]
    [LabelFilterTransformation]
    [ValidateNotNullOrEmpty]
    public string[]? Label { get; set; }

    /// <summary>Only containers created from one of these images: names (wildcards allowed) or ids.</summary>
    [Parameter]
    [SupportsWildcards]
    [ImageTransformation]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Image { get; set; }

    private HashSet<string>? _imageIds;

    protected override void ProcessRecord()
    {
        if (ParameterSetName != "ById" && (Name is null || Name.Length == 0))
        {
            Try(() => { foreach (var c in Engine.GetContainers()) Write(c); });
            return;
        }
        foreach (var c in NameResolvers.Containers(Engine).Resolve(ParameterSetName == "ById" ? Id : Name!, Try, Resolved))
            Write(c);
    }

    private void Write(Container c)
    {
        if (State is { Length: > 0 } && !State.Contains(c.State)) return;
        if (Label is { Length: > 0 } && !Label.All(l => HasLabel(c, l))) return;
        if (Image is { Length: > 0 } && !FromImage(c)) return;
        WriteObject(c);
    }

    /// <summary>'key' matches any value, 'key=value' that value exactly (podman's label filter).</summary>
    private static bool HasLabel(Container c, string filter)
    {
        var eq = filter.IndexOf('=');
        var key = eq < 0 ? filter : filter[..eq];
        if (!c.Labels.TryGetValue(key, out var value)) return false;
        return eq < 0 || value == filter[(eq + 1)..];
    }

    /// <summary>A container matches an -Image pattern by the image reference it was created from, or by
    /// the id of an image one of whose names (or id) matches, so 'busybox', 'busybox:latest', 'busy*'
    /// and an id prefix all find the containers of busybox.</summary>
    private bool FromImage(Container c)
    {
        _imageIds ??= MatchingImageIds();
        if (_imageIds.Contains(c.ImageId)) return true;
        return Image!.Any(p => NameMatches(p, c.Image));
    }

    private HashSet<string> MatchingImageIds()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in Engine.GetImages())
        {
            foreach (var p in Image!)
            {
                if (i.Names.Any(n => NameMatches(p, n)) || i.Id.StartsWith(p.ToLowerInvariant(), StringComparison.Ordinal))
                    ids.Add(i.Id);
            }
        }
        return ids;
    }

    /// <summary>A pattern without a tag also matches the ':latest' name ('busybox' matches 'busybox:latest').</summary>
    private static bool NameMatches(string pattern, string name)
    {
        var p = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
        if (p.IsMatch(name)) return true;
        var lastSlash = pattern.LastIndexOf('/');
        return pattern.IndexOf(':', lastSlash + 1) < 0 && !WildcardPattern.ContainsWildcardCharacters(pattern)
            && WildcardPattern.Get(pattern + ":latest", WildcardOptions.IgnoreCase).IsMatch(name);
    }
}
