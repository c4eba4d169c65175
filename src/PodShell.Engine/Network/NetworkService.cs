using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PodShell.Engine.Containers;

namespace PodShell.Engine.Network;

/// <summary>Networks and the network of each container (docs/design.md, "Network and volume services"). It owns
/// the networks (create, list, get, remove, the default one) and their addresses (<see cref="NetworkStore"/>),
/// a container's network options at create time, its namespace file, network.json and network-attach.json in
/// its bundle, its /etc/hosts and /etc/resolv.conf while it runs, the host-port checks, and live connect and
/// disconnect. It calls the drivers (<see cref="NetworkDrivers"/>, chosen once by whoever makes it), the stores
/// of <see cref="EngineContext"/>, and the containers service only through <see cref="ContainerCallbacks"/>.
/// Every step is idempotent, so a pwsh killed half-way is cleaned up by the next call that folds the record.</summary>
internal sealed partial class NetworkService
{
    private readonly EngineContext _ctx;
    private readonly NetworkDrivers _drivers;
    private readonly ContainerCallbacks _containers;
    private NetworkStore? _store;

    public NetworkService(EngineContext ctx, NetworkDrivers drivers, ContainerCallbacks containers)
    {
        _ctx = ctx;
        _drivers = drivers;
        _containers = containers;
    }

    /// <summary>The networks and the addresses handed out on them (made on first use: it creates its tables).</summary>
    public NetworkStore Networks => _store ??= new NetworkStore(_ctx.Store);

    public NetworkDrivers Drivers => _drivers;

    /// <summary>The default network's subnet and bridge; PODSHELL_DEFAULT_SUBNET and PODSHELL_BRIDGE
    /// change them (a host that also runs podman uses 10.88.0.0/16 and podman0).
    /// Set them before the default network is first used; afterwards the stored network wins.</summary>
    public string DefaultSubnet { get; set; } = Env("PODSHELL_DEFAULT_SUBNET", "10.88.0.0/16");
    public string DefaultBridge { get; set; } = Env("PODSHELL_BRIDGE", "podshell0");
    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : fallback;

    public string NetnsPathFor(string id) => Path.Combine(_ctx.Options.RunRoot, "netns", id);

    // ---- networks ------------------------------------------------------------------------------

    public ContainerNetwork CreateNetwork(string name, string? subnet = null, string? gateway = null, bool @internal = false, bool dns = true)
    {
        if (!NameGenerator.IsValid(name) || name is "none" or "host" or "bridge" or "default" or "private" || name.StartsWith("container:"))
            throw new PodShellException(ErrorIds.InvalidNetworkName, FailureKind.InvalidArgument,
                $"'{name}' is not a valid network name: use letters, digits, '_', '.' and '-' (none, host, bridge, default and private are reserved).", name);
        if (name == NetworkMode.DefaultNetworkName)
            return DefaultNetwork();
        var existing = Networks.List();
        IPNetwork net;
        if (subnet != null)
        {
            if (!IPNetwork.TryParse(subnet, out net) || net.BaseAddress.AddressFamily != AddressFamily.InterNetwork || net.PrefixLength > 30)
                throw new PodShellException(ErrorIds.InvalidSubnet, FailureKind.InvalidArgument, $"'{subnet}' is not an IPv4 subnet in CIDR form with room for hosts, such as 10.89.5.0/24.", subnet);
        }
        else
        {
            // podman's DefaultSubnetPools: /24s out of 10.89.0.0/16.
            net = Enumerable.Range(0, 256).Select(i => IPNetwork.Parse($"10.89.{i}.0/24"))
                .Where(n => !existing.Any(e => NetworkStore.Overlaps(IPNetwork.Parse(e.Subnet), n)))
                .Cast<IPNetwork?>().FirstOrDefault()
                ?? throw new PodShellException(ErrorIds.SubnetInUse, FailureKind.ResourceBusy, "No free /24 is left in 10.89.0.0/16; give -Subnet.", name);
        }
        var gw = ResolveGateway(net, gateway);
        var bridge = Enumerable.Range(1, 4096).Select(i => "podshell" + i)
            .First(b => existing.All(e => e.NetworkInterface != b) && b != DefaultBridge && !Directory.Exists("/sys/class/net/" + b));
        var n = new ContainerNetwork
        {
            Name = name,
            Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant(),
            Subnet = $"{net.BaseAddress}/{net.PrefixLength}",
            Gateway = gw,
            NetworkInterface = bridge,
            Internal = @internal,
            DnsEnabled = dns,
            Created = DateTime.UtcNow,
        };
        return Networks.Insert(n, existingOk: false);
    }

    private static string ResolveGateway(IPNetwork net, string? gateway)
    {
        if (gateway == null) return NetworkStore.FromUInt(NetworkStore.ToUInt(net.BaseAddress) + 1).ToString();
        if (!IPAddress.TryParse(gateway, out var g) || !net.Contains(g) || g.Equals(net.BaseAddress))
            throw new PodShellException(ErrorIds.InvalidGateway, FailureKind.InvalidArgument, $"Gateway '{gateway}' is not a host address in {net}.", gateway);
        return g.ToString();
    }

    /// <summary>"podshell", created on first use like podman's "podman" network (DNS off, as there).</summary>
    public ContainerNetwork DefaultNetwork()
    {
        if (Networks.Get(NetworkMode.DefaultNetworkName) is { } n) return n;
        if (!IPNetwork.TryParse(DefaultSubnet, out var net) || net.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new PodShellException(ErrorIds.InvalidSubnet, FailureKind.InvalidArgument, $"PODSHELL_DEFAULT_SUBNET '{DefaultSubnet}' is not an IPv4 subnet.", DefaultSubnet);
        return Networks.Insert(new ContainerNetwork
        {
            Name = NetworkMode.DefaultNetworkName,
            Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant(),
            Subnet = $"{net.BaseAddress}/{net.PrefixLength}",
            Gateway = ResolveGateway(net, null),
            NetworkInterface = DefaultBridge,
            DnsEnabled = false,
            Created = DateTime.UtcNow,
        }, existingOk: true);
    }

    public IReadOnlyList<ContainerNetwork> GetNetworks()
    {
        var containers = _ctx.Store.ListContainers().Select(r => r.Container).ToList();
        var list = Networks.List().ToList();
        foreach (var n in list) n.Containers = containers.Where(c => c.Networks.Contains(n.Name)).Select(c => c.Name).ToArray();
        return list;
    }

    public ContainerNetwork GetNetwork(string name) =>
        GetNetworks().FirstOrDefault(n => n.Name == name)
        ?? (name == NetworkMode.DefaultNetworkName ? DefaultNetwork() : throw NetworkNotFound(name));

    /// <summary>Refuses a network that containers use unless <paramref name="force"/>, which removes them.</summary>
    public void RemoveNetwork(string name, bool force, CancellationToken ct = default)
    {
        var n = GetNetwork(name);
        if (n.Containers.Length > 0)
        {
            if (!force)
                throw new PodShellException(ErrorIds.NetworkInUse, FailureKind.InvalidState,
                    $"Network '{name}' is used by {string.Join(", ", n.Containers)}. Remove them first, or use -Force.", n);
            foreach (var c in _ctx.Store.ListContainers().Where(r => r.Container.Networks.Contains(name)).ToList())
                _containers.Remove(c.Container.Id, true, ct);
        }
        Networks.Delete(name);
    }

    /// <summary>A bridge network by name, the default one created on first use.</summary>
    private ContainerNetwork Named(string name) =>
        name == NetworkMode.DefaultNetworkName ? DefaultNetwork() : Networks.Get(name) ?? throw NetworkNotFound(name);

    private static PodShellException NetworkNotFound(string name) =>
        new(ErrorIds.NetworkNotFound, FailureKind.NotFound, $"No network named '{name}' exists. Create it with New-ContainerNetwork.", name);
}
