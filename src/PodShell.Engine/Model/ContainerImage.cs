using System.Text.Json.Serialization;

namespace PodShell;

/// <summary>An image in the local store. Id is the sha256 of its config blob, as in OCI. The store keeps it as this
/// JSON: the names are fixed here so that renaming a property does not change the store's format.</summary>
public sealed class ContainerImage
{
    [JsonPropertyName("Id")] public string Id { get; set; } = "";
    [JsonPropertyName("Names")] public string[] Names { get; set; } = Array.Empty<string>();
    [JsonPropertyName("Digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("Created")] public DateTime Created { get; set; }
    /// <summary>Sum of the uncompressed layer sizes, in bytes.</summary>
    [JsonPropertyName("Size")] public long Size { get; set; }
    [JsonPropertyName("Architecture")] public string Architecture { get; set; } = "amd64";
    [JsonPropertyName("Os")] public string Os { get; set; } = "linux";
    /// <summary>Layer ids, base layer first.</summary>
    [JsonPropertyName("Layers")] public string[] Layers { get; set; } = Array.Empty<string>();
    [JsonPropertyName("Config")] public ImageConfig Config { get; set; } = new();

    /// <summary>First name, or the short id when the image has no name.</summary>
    public string Name => Names.Length > 0 ? Names[0] : (Id.Length >= 12 ? Id[..12] : Id);
    public override string ToString() => Name;
}

/// <summary>The runtime part of an OCI image config (config.config).</summary>
public sealed class ImageConfig
{
    [JsonPropertyName("Entrypoint")] public string[] Entrypoint { get; set; } = Array.Empty<string>();
    [JsonPropertyName("Cmd")] public string[] Cmd { get; set; } = Array.Empty<string>();
    [JsonPropertyName("Env")] public string[] Env { get; set; } = Array.Empty<string>();
    [JsonPropertyName("WorkingDir")] public string WorkingDir { get; set; } = "";
    [JsonPropertyName("User")] public string User { get; set; } = "";
    [JsonPropertyName("ExposedPorts")] public string[] ExposedPorts { get; set; } = Array.Empty<string>();
    [JsonPropertyName("Labels")] public Dictionary<string, string> Labels { get; set; } = new();
    [JsonPropertyName("StopSignal")] public string StopSignal { get; set; } = "";
}
