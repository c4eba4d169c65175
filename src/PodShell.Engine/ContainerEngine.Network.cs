using PodShell.Engine.Network;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>Networks: the public verbs and the members the container code calls, each a forward to
/// <see cref="NetworkService"/> (Network/NetworkService*.cs), which owns networks, addresses and a container's
/// network from create to removal. The drivers it uses are chosen here, once.</summary>
public sealed partial class ContainerEngine
{
    private NetworkService? _networkService;
    private NetavarkDriver? _netavark;
    private BridgeDriver? _bridge;
    private ContainerCallbacks? _containerCallbacks;

    internal NetworkService NetworkService => _networkService ??= new NetworkService(Context, ChooseNetworkDrivers(), ContainerCallbacks);

    /// <summary>The one place the network drivers are chosen: an ordinary user can create neither bridges nor
    /// firewall rules, so its containers get the user-mode network; root gets bridge networks. To move into
    /// the host mode (IHostMode) when that exists.</summary>
    private NetworkDrivers ChooseNetworkDrivers() => Context.UserNamespace is { } ns
        ? NetworkDrivers.UserMode(new UserModeDriver(Options.RunRoot, ns))
        : NetworkDrivers.Bridges(Bridge, Netavark);

    /// <summary>What the network and volume services may ask of the containers (until the per-container handle).</summary>
    private ContainerCallbacks ContainerCallbacks => _containerCallbacks ??= new ContainerCallbacks(
        nameOrId => GetContainer(nameOrId),
        (id, ct) => LockContainer(id, ct),
        id => Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id),
        r => Reconcile(r),
        (id, force, ct) => RemoveContainer(id, force, ct));

    public NetworkStore NetworkStore => NetworkService.Networks;
    public NetavarkDriver Netavark => _netavark ??= new NetavarkDriver(Path.Combine(Options.RunRoot, "networks"));
    public BridgeDriver Bridge => _bridge ??= new BridgeDriver();

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

    // ---- what the container code calls (the lead points these callers at NetworkService) ------------

    private void ApplyNetworkOptions(CreateOptions o, Container c) => NetworkService.ApplyNetworkOptions(o, c);
    private void ApplyPortsAndSharing(CreateOptions o, Container c, IEnumerable<PortMapping> ports) => NetworkService.ApplyPortsAndSharing(o, c, ports);
    private string SpecNetworkMode(Container c) => NetworkService.SpecNetworkMode(c);
    private string SharedNamespacePath(string mode, string type) => NetworkService.SharedNamespacePath(mode, type);
    private void SetupNetwork(Container c, ContainerPaths paths) => NetworkService.SetupNetwork(c, paths);
    private void TeardownNetwork(string id) => NetworkService.TeardownNetwork(id);

    /// <summary>The user-mode network of rootless containers (Podman 4's rootless default).</summary>
    public const string UserModeNetworkName = UserModeDriver.NetworkName;
    // The rootless network functions are the same calls: the drivers chosen above make them user-mode.
    private void ApplyRootlessNetworkOptions(CreateOptions o, Container c) => NetworkService.ApplyNetworkOptions(o, c);
    private void SetupRootlessNetwork(Container c, ContainerPaths paths) => NetworkService.SetupNetwork(c, paths);
    private void TeardownRootlessNetwork(string id) => NetworkService.TeardownNetwork(id);
}
