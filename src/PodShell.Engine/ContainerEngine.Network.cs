using PodShell.Engine.Network;

namespace PodShell.Engine;

/// <summary>Networks: the public verbs, each a forward to <see cref="NetworkService"/> (Network/NetworkService*.cs),
/// which owns networks, addresses and a container's network from create to removal. Its drivers come from the host
/// mode (<see cref="Hosting.IHostMode.NetworkDrivers"/>); the container services reach it through their seam
/// (ContainerEngine.Seams.cs).</summary>
public sealed partial class ContainerEngine
{
    public NetworkStore NetworkStore => NetworkService.Networks;

    /// <summary>The default network's subnet and bridge (PODSHELL_DEFAULT_SUBNET, PODSHELL_BRIDGE); set them
    /// before the default network is first used.</summary>
    public string DefaultSubnet { get => NetworkService.DefaultSubnet; set => NetworkService.DefaultSubnet = value; }
    public string DefaultBridge { get => NetworkService.DefaultBridge; set => NetworkService.DefaultBridge = value; }

    public string NetnsPathFor(string id) => NetworkService.NetnsPathFor(id);

    public ContainerNetwork CreateNetwork(string name, string? subnet = null, string? gateway = null, bool @internal = false, bool dns = true) =>
        NetworkService.CreateNetwork(name, subnet, gateway, @internal, dns);

    public ContainerNetwork DefaultNetwork() => NetworkService.DefaultNetwork();

    public IReadOnlyList<ContainerNetwork> GetNetworks() => NetworkService.GetNetworks();

    public ContainerNetwork GetNetwork(string name) => NetworkService.GetNetwork(name);

    public void RemoveNetwork(string name, bool force, CancellationToken ct = default) => NetworkService.RemoveNetwork(name, force, ct);

    public Container ConnectNetwork(string network, string container, string? ipAddress = null, IEnumerable<string>? aliases = null, CancellationToken ct = default) =>
        NetworkService.ConnectNetwork(network, container, ipAddress, aliases, ct);

    public Container DisconnectNetwork(string network, string container, bool force = false, CancellationToken ct = default) =>
        NetworkService.DisconnectNetwork(network, container, force, ct);

    /// <summary>The user-mode network of rootless containers (Podman 4's rootless default).</summary>
    public const string UserModeNetworkName = UserModeDriver.NetworkName;
}
