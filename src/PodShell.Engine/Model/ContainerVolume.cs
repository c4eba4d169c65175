namespace PodShell;

/// <summary>A named volume (podman volume): a directory under the graph root that containers mount and
/// that outlives them.</summary>
public sealed class ContainerVolume
{
    public string Name { get; set; } = "";
    /// <summary>Always "local": a directory on the host, as podman's default driver.</summary>
    public string Driver { get; set; } = "local";
    /// <summary>Host directory the containers see: &lt;graphroot&gt;/volumes/&lt;name&gt;/_data.</summary>
    public string Mountpoint { get; set; } = "";
    public DateTime Created { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new();
    /// <summary>Bytes used by the files in the volume; null unless asked for (it walks the whole tree).</summary>
    public long? Size { get; set; }
    /// <summary>Names of the containers that mount it.</summary>
    public string[] UsedBy { get; set; } = Array.Empty<string>();

    public override string ToString() => Name;
}
