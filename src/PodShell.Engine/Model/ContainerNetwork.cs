namespace PodShell;

/// <summary>A bridge network containers can join (podman network inspect). The default network
/// "podshell" is created on first use.</summary>
public sealed class ContainerNetwork
{
    public string Name { get; set; } = "";
    public string Id { get; set; } = "";
    public string Driver { get; set; } = "bridge";
    /// <summary>IPv4 subnet in CIDR form, e.g. 10.89.0.0/24.</summary>
    public string Subnet { get; set; } = "";
    public string Gateway { get; set; } = "";
    /// <summary>Name of the host bridge interface netavark creates.</summary>
    public string NetworkInterface { get; set; } = "";
    /// <summary>No route out of the bridge, no masquerading.</summary>
    public bool Internal { get; set; }
    /// <summary>Containers resolve each other by name through aardvark-dns (user networks).</summary>
    public bool DnsEnabled { get; set; }
    public DateTime Created { get; set; }
    /// <summary>Names of the containers attached to this network (running or not).</summary>
    public string[] Containers { get; set; } = Array.Empty<string>();

    public override string ToString() => Name;
}
