using System.Text.Json.Serialization;

namespace PodShell;

/// <summary>A bridge network containers can join (podman network inspect). The default network
/// "podshell" is created on first use. The store keeps it as this JSON: the names are fixed here so that renaming
/// a property does not change the store's format.</summary>
public sealed class ContainerNetwork
{
    [JsonPropertyName("Name")] public string Name { get; set; } = "";
    [JsonPropertyName("Id")] public string Id { get; set; } = "";
    [JsonPropertyName("Driver")] public string Driver { get; set; } = "bridge";
    /// <summary>IPv4 subnet in CIDR form, e.g. 10.89.0.0/24.</summary>
    [JsonPropertyName("Subnet")] public string Subnet { get; set; } = "";
    [JsonPropertyName("Gateway")] public string Gateway { get; set; } = "";
    /// <summary>Name of the host bridge interface netavark creates.</summary>
    [JsonPropertyName("NetworkInterface")] public string NetworkInterface { get; set; } = "";
    /// <summary>No route out of the bridge, no masquerading.</summary>
    [JsonPropertyName("Internal")] public bool Internal { get; set; }
    /// <summary>Containers resolve each other by name through aardvark-dns (user networks).</summary>
    [JsonPropertyName("DnsEnabled")] public bool DnsEnabled { get; set; }
    [JsonPropertyName("Created")] public DateTime Created { get; set; }
    /// <summary>Names of the containers attached to this network (running or not).</summary>
    [JsonPropertyName("Containers")] public string[] Containers { get; set; } = Array.Empty<string>();

    public override string ToString() => Name;
}
