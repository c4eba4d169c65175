using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PodShell.Engine.Containers;
using PodShell.Engine.Network;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>Networks (netavark bridges) and the per-container network lifecycle: a netns file and
/// "netavark setup" before conmon starts, "netavark teardown" and the netns file gone when the
/// container exits, stops or is removed. Every step is idempotent, so a pwsh killed half-way is
/// cleaned up by the next call that folds the record.</summary>
public sealed partial class ContainerEngine
{
    private NetworkStore? _networks;
    private NetavarkDriver? _netavark;

    public NetworkStore NetworkStore => _networks ??= new NetworkStore(Store);
    public NetavarkDriver Netavark => _netavark ??= new NetavarkDriver(Path.Combine(Options.RunRoot, "networks"));

    /// <summary>The default network's subnet and bridge; PODSHELL_DEFAULT_SUBNET and PODSHELL_BRIDGE
    /// change them (a host that also runs podman uses 10.88.0.0/16 and podman0).</summary>
    /// Set them before the default network is first used; afterwards the stored network wins.
    public string DefaultSubnet { get; set; } = Env("PODSHELL_DEFAULT_SUBNET", "10.88.0.0/16");
    public string DefaultBridge { get; set; } = Env("PODSHELL_BRIDGE", "podshell0");
    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : fallback;

    public string NetnsPathFor(string id) => Path.Combine(Options.RunRoot, "netns", id);
    // In the bundle (persistent), not the run root: after a reboot or a wiped run root the teardown still
    // knows which rules and addresses the container had.
    private static string NetworkStateFile(ContainerPaths p) => Path.Combine(p.BundleDir, "network.json");

    // ---- networks ------------------------------------------------------------------------------

    public ContainerNetwork CreateNetwork(string name, string? subnet = null, string? gateway = null, bool @internal = false, bool dns = true)
    {
        if (!NameGenerator.IsValid(name) || name is "none" or "host" or "bridge" or "default" or "private" || name.StartsWith("container:"))
            throw new PodShellException("InvalidNetworkName", FailureKind.InvalidArgument,
                $"'{name}' is not a valid network name: use letters, digits, '_', '.' and '-' (none, host, bridge, default and private are reserved).", name);
        if (name == NetworkMode.DefaultNetworkName)
            return DefaultNetwork();
        var existing = NetworkStore.List();
        IPNetwork net;
        if (subnet != null)
        {
            if (!IPNetwork.TryParse(subnet, out net) || net.BaseAddress.AddressFamily != AddressFamily.InterNetwork || net.PrefixLength > 30)
                throw new PodShellException("InvalidSubnet", FailureKind.InvalidArgument, $"'{subnet}' is not an IPv4 subnet in CIDR form with room for hosts, such as 10.89.5.0/24.", subnet);
        }
        else
        {
            // podman's DefaultSubnetPools: /24s out of 10.89.0.0/16.
            net = Enumerable.Range(0, 256).Select(i => IPNetwork.Parse($"10.89.{i}.0/24"))
                .Where(n => !existing.Any(e => NetworkStore.Overlaps(IPNetwork.Parse(e.Subnet), n)))
                .Cast<IPNetwork?>().FirstOrDefault()
                ?? throw new PodShellException("SubnetInUse", FailureKind.ResourceBusy, "No free /24 is left in 10.89.0.0/16; give -Subnet.", name);
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
        return NetworkStore.Insert(n, existingOk: false);
    }

    private static string ResolveGateway(IPNetwork net, string? gateway)
    {
        if (gateway == null) return NetworkStore.FromUInt(NetworkStore.ToUInt(net.BaseAddress) + 1).ToString();
        if (!IPAddress.TryParse(gateway, out var g) || !net.Contains(g) || g.Equals(net.BaseAddress))
            throw new PodShellException("InvalidGateway", FailureKind.InvalidArgument, $"Gateway '{gateway}' is not a host address in {net}.", gateway);
        return g.ToString();
    }

    /// <summary>"podshell", created on first use like podman's "podman" network (DNS off, as there).</summary>
    public ContainerNetwork DefaultNetwork()
    {
        if (NetworkStore.Get(NetworkMode.DefaultNetworkName) is { } n) return n;
        if (!IPNetwork.TryParse(DefaultSubnet, out var net) || net.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new PodShellException("InvalidSubnet", FailureKind.InvalidArgument, $"PODSHELL_DEFAULT_SUBNET '{DefaultSubnet}' is not an IPv4 subnet.", DefaultSubnet);
        return NetworkStore.Insert(new ContainerNetwork
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
        var containers = Store.ListContainers().Select(r => r.Container).ToList();
        var list = NetworkStore.List().ToList();
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
                throw new PodShellException("NetworkInUse", FailureKind.InvalidState,
                    $"Network '{name}' is used by {string.Join(", ", n.Containers)}. Remove them first, or use -Force.", n);
            foreach (var c in Store.ListContainers().Where(r => r.Container.Networks.Contains(name)).ToList())
                RemoveContainer(c.Container.Id, force: true, ct);
        }
        NetworkStore.Delete(name);
    }

    private static PodShellException NetworkNotFound(string name) =>
        new("NetworkNotFound", FailureKind.NotFound, $"No network named '{name}' exists. Create it with New-ContainerNetwork.", name);

    // ---- container options ---------------------------------------------------------------------

    /// <summary>Resolves -Network/-Publish/-Pid/-Ipc/-Uts onto the record at create time, so every refusal
    /// happens before anything exists.</summary>
    private void ApplyNetworkOptions(CreateOptions o, Container c)
    {
        var mode = NetworkMode.Parse(o.Network);
        var ports = (o.Publish ?? []).Select(PortMapping.Parse).ToList();
        if (ports.Count > 0 && mode.Kind is not NetworkModeKind.Bridge)
            throw new PodShellException("PublishNeedsNetwork", FailureKind.InvalidArgument,
                $"-Publish needs a bridge network; -Network {mode} has no ports of its own to publish.", mode.ToString());
        switch (mode.Kind)
        {
            case NetworkModeKind.Bridge:
                var net = mode.Value == NetworkMode.DefaultNetworkName ? DefaultNetwork() : NetworkStore.Get(mode.Value) ?? throw NetworkNotFound(mode.Value);
                c.Network = net.Name;
                c.Networks = new[] { net.Name };
                break;
            case NetworkModeKind.Container:
                c.Network = "container:" + GetContainer(mode.Value).Id;
                break;
            default:
                c.Network = mode.ToString();
                break;
        }
        c.Ports = ports.Select(p => p.ToString()).ToArray();
        c.PidMode = ResolveShared(o.Pid);
        c.IpcMode = ResolveShared(o.Ipc);
        c.UtsMode = ResolveShared(o.Uts);
    }

    private string ResolveShared(string? text)
    {
        var m = NetworkMode.Parse(text, networksAllowed: false);
        return m.Kind == NetworkModeKind.Container ? "container:" + GetContainer(m.Value).Id : m.ToString();
    }

    /// <summary>spec.NetworkMode for config.json.</summary>
    private string SpecNetworkMode(Container c)
    {
        if (c.Network == "host") return "host";
        if (c.Network == "none") return "none";
        if (c.Network.StartsWith("container:")) return "ns:" + SharedNamespacePath(c.Network, "net");
        return "ns:" + NetnsPathFor(c.Id);
    }

    /// <summary>The namespace file of another container: its netns file when it has one (stable across
    /// its restarts), else /proc/&lt;pid&gt;/ns/&lt;type&gt; of its running init. Rewritten at each start.</summary>
    private string SharedNamespacePath(string mode, string type)
    {
        var targetId = mode["container:".Length..];
        if (type == "net" && NetnsFile.Exists(NetnsPathFor(targetId))) return NetnsPathFor(targetId);
        var r = Store.GetContainer(targetId);
        var t = r is null ? null : Reconcile(r)?.Container;
        if (t is null)
            throw new PodShellException("ContainerNotFound", FailureKind.NotFound, $"The container {targetId[..12]} whose {type} namespace this one shares no longer exists.", targetId);
        if (t.State is not (ContainerState.Running or ContainerState.Paused) || t.Pid <= 0)
            throw new PodShellException("SharedContainerNotRunning", FailureKind.InvalidState,
                $"Container '{t.Name}' must be running: this container joins its {type} namespace.", t);
        if (type == "net" && t.Network.StartsWith("container:")) return SharedNamespacePath(t.Network, type);
        return $"/proc/{t.Pid}/ns/{type}";
    }

    // ---- per-container setup and teardown -----------------------------------------------------

    /// <summary>Before conmon: netns file, addresses, ports checked free, netavark setup, /etc files.
    /// network.json is written before netavark runs, so a teardown always knows what to undo.</summary>
    private void SetupNetwork(Container c, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "setup");
        c.IPAddresses = Array.Empty<string>();
        if (c.Networks.Length == 0 || c.Network is "none" or "host" || c.Network.StartsWith("container:")) return;
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        CheckPortsFree(ports);
        var attachments = new List<(ContainerNetwork, string, string[], string)>();
        int ifIndex = 0;
        foreach (var name in c.Networks)
        {
            var n = name == NetworkMode.DefaultNetworkName ? DefaultNetwork() : NetworkStore.Get(name) ?? throw NetworkNotFound(name);
            var ip = NetworkStore.Allocate(n, c.Id).ToString();
            attachments.Add((n, ip, new[] { c.Name, c.Id[..12] }, "eth" + ifIndex++));
        }
        var json = NetavarkDriver.Options(c.Id, c.Name, ports, attachments);
        var netns = NetnsPathFor(c.Id);
        Directory.CreateDirectory(paths.RunDir);
        AtomicWrite(NetworkStateFile(paths), json);
        NetnsFile.Create(netns);
        var dns = Netavark.Setup(netns, json);
        c.IPAddresses = attachments.Select(a => a.Item2).ToArray();
        var gateway = attachments[0].Item1.Gateway;
        AtomicWrite(paths.HostsFile, EtcFiles.Hosts(c.Hostname, attachments.Select(a => (a.Item2, $"{c.Hostname} {c.Name}")).ToList(), gateway));
        AtomicWrite(paths.ResolvConfFile, dns.Count > 0 ? EtcFiles.ResolvConf(dns, "dns.podman") : EtcFiles.ResolvConf());
    }

    /// <summary>netavark only installs DNAT rules; a port another process listens on would be silently
    /// shadowed for some clients, so it is refused before anything is set up (podman binds it too).</summary>
    private static void CheckPortsFree(IEnumerable<PortMapping> ports)
    {
        foreach (var p in ports)
            for (int i = 0; i < p.Range; i++)
            {
                var ip = p.HostIp.Length > 0 ? IPAddress.Parse(p.HostIp) : IPAddress.Any;
                using var s = p.Protocol == "udp"
                    ? new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
                    : new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try { s.Bind(new IPEndPoint(ip, p.HostPort + i)); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
                {
                    throw new PodShellException("PortInUse", FailureKind.ResourceBusy,
                        $"Host port {p.HostPort + i}/{p.Protocol} on {(p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0")} is already in use.", p.ToString());
                }
            }
    }

    /// <summary>netavark fails a teardown when what it would remove is not there: a setup that a killed
    /// pwsh never finished, or a second teardown. Nothing is left to undo then.</summary>
    private static bool AlreadyGone(string message) =>
        message.Contains("No such device") || message.Contains("No chain/target/match") || message.Contains("No such file");

    /// <summary>Idempotent: netavark teardown (veth, firewall rules, DNS entries), the netns file and the
    /// addresses. Safe for a container that never had a network.</summary>
    private void TeardownNetwork(string id)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "teardown");
        var paths = PathsFor(id);
        var state = NetworkStateFile(paths);
        var netns = NetnsPathFor(id);
        PodShellException? failure = null;
        if (File.Exists(state))
        {
            try
            {
                // netavark needs a namespace to open; a lost one (run root wiped) gets an empty stand-in
                // so the firewall rules still go.
                NetnsFile.Create(netns);
                Netavark.Teardown(netns, File.ReadAllText(state));
            }
            catch (PodShellException e) when (AlreadyGone(e.Message)) { /* a half setup (pwsh killed mid-start) */ }
            catch (PodShellException e) { failure = e; }
        }
        NetnsFile.Remove(netns);
        if (failure == null && File.Exists(state)) File.Delete(state);
        NetworkStore.Release(id);
        if (failure != null) throw failure;
    }
}
