namespace PodShell;

/// <summary>An image in the local store. Id is the sha256 of its config blob, as in OCI.</summary>
public sealed class ContainerImage
{
    public string Id { get; set; } = "";
    public string[] Names { get; set; } = Array.Empty<string>();
    public string Digest { get; set; } = "";
    public DateTime Created { get; set; }
    /// <summary>Sum of the uncompressed layer sizes, in bytes.</summary>
    public long Size { get; set; }
    public string Architecture { get; set; } = "amd64";
    public string Os { get; set; } = "linux";
    /// <summary>Layer ids, base layer first.</summary>
    public string[] Layers { get; set; } = Array.Empty<string>();
    public ImageConfig Config { get; set; } = new();

    /// <summary>First name, or the short id when the image has no name.</summary>
    public string Name => Names.Length > 0 ? Names[0] : (Id.Length >= 12 ? Id[..12] : Id);
    public override string ToString() => Name;
}

/// <summary>The runtime part of an OCI image config (config.config).</summary>
public sealed class ImageConfig
{
    public string[] Entrypoint { get; set; } = Array.Empty<string>();
    public string[] Cmd { get; set; } = Array.Empty<string>();
    public string[] Env { get; set; } = Array.Empty<string>();
    public string WorkingDir { get; set; } = "";
    public string User { get; set; } = "";
    public string[] ExposedPorts { get; set; } = Array.Empty<string>();
    public Dictionary<string, string> Labels { get; set; } = new();
    public string StopSignal { get; set; } = "";
}
