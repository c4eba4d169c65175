namespace PodShell;

public enum LayerKind { Image, Container }

/// <summary>One layer of a root filesystem. For a container layer the dirs come from the live mount.</summary>
public sealed class OverlayLayer
{
    public string Id { get; set; } = "";
    /// <summary>sha256 of the uncompressed layer tar ("sha256:..."); empty for a container layer.</summary>
    public string DiffId { get; set; } = "";
    public string Digest { get; set; } = "";
    public long Size { get; set; }
    public LayerKind Kind { get; set; }
    public string Parent { get; set; } = "";
    public string ContainerId { get; set; } = "";
    public string ImageId { get; set; } = "";
    /// <summary>For an image layer: the names (or short ids) of every image that shares it.</summary>
    public string[] UsedBy { get; set; } = Array.Empty<string>();
    /// <summary>The layer's own content directory.</summary>
    public string DiffDir { get; set; } = "";
    /// <summary>Lower directories, uppermost first (for a container layer: read from the mount).</summary>
    public string[] LowerDirs { get; set; } = Array.Empty<string>();
    public string UpperDir { get; set; } = "";
    public string WorkDir { get; set; } = "";
    public string MergedDir { get; set; } = "";
    public bool Mounted { get; set; }
}
