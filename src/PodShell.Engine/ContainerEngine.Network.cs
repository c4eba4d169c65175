using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PodShell.Engine.Containers;
using PodShell.Engine.Network;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>Networks (bridges) and the per-container network lifecycle: a netns file and the setup
/// before conmon starts, the teardown and the netns file gone when the container exits, stops or is
/// removed. Networks without DNS (the default one among them) are set up in-process by
/// <see cref="BridgeDriver"/>; networks with DNS by netavark, which runs aardvark-dns. Every step is
/// idempotent, so a pwsh killed half-way is cleaned up by the next call that folds the record.</summary>
public sealed partial class ContainerEngine
{
    private NetworkStore? _networks;
    private NetavarkDriver? _netavark;
    private BridgeDriver? _bridge;

    public NetworkStore NetworkStore => _networks ??= new NetworkStore(Store);
    public NetavarkDriver Netavark => _netavark ??= new NetavarkDriver(Path.Combine(Options.RunRoot, "networks"));
    public BridgeDriver Bridge => _bridge ??= new BridgeDriver();

    /// <summary>Sets up the networks in the options JSON, each with its driver; returns the DNS servers.</summary>
    private IReadOnlyList<string> DriverSetup(string netns, string json)
    {
        var (native, dns) = BridgeDriver.Split(json);
        if (native != null) Bridge.Setup(netns, native);
        if (dns == null) return Array.Empty<string>();
        try { return Netavark.Setup(netns, dns); }
        catch
        {
            if (native != null) try { Bridge.Teardown(native); } catch (PodShellException) { } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Tears down the networks in the options JSON, each with its driver. netavark needs a
    /// namespace to open: a lost one (run root wiped) gets an empty stand-in so its rules still go.
    /// netavark's "already gone" failures are not failures here.</summary>
    private void DriverTeardown(string netns, string json, bool force = false)
    {
        var (native, dns) = BridgeDriver.Split(json);
        PodShellException? failure = null;
        if (native != null)
        {
            try { Bridge.Teardown(native); }
            catch (PodShellException e) when (!force) { failure = e; }
            catch (PodShellException) { }
        }
        if (dns != null)
        {
            try
            {
                NetnsFile.Create(netns);
                Netavark.Teardown(netns, dns);
            }
            catch (PodShellException e) when (force || AlreadyGone(e.Message)) { }
            catch (PodShellException e) { failure ??= e; }
        }
        if (failure != null) throw failure;
    }

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
        if (Options.Rootless) { ApplyRootlessNetworkOptions(o, c); return; }
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
        ApplyPortsAndSharing(o, c, ports);
    }

    /// <summary>What root and rootless network options have in common: the ports, and -Pid/-Ipc/-Uts sharing.</summary>
    private void ApplyPortsAndSharing(CreateOptions o, Container c, IEnumerable<PortMapping> ports)
    {
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

    /// <summary>Before conmon: netns file, addresses, ports checked free, the drivers' setup, /etc files.
    /// network.json is written before any driver runs, so a teardown always knows what to undo.</summary>
    private void SetupNetwork(Container c, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "setup");
        c.IPAddresses = Array.Empty<string>();
        if (Options.Rootless) { SetupRootlessNetwork(c, paths); return; }
        if (c.Network is "none" or "host" || c.Network.StartsWith("container:")) return;
        if (c.Networks.Length == 0)
        {
            // Disconnected from its last network: its own namespace with only lo, as podman leaves it,
            // so a later Connect-ContainerNetwork has a namespace to add an interface to.
            NetnsFile.Create(NetnsPathFor(c.Id));
            NetnsFile.BringLoopbackUp(NetnsPathFor(c.Id));
            AtomicWrite(paths.HostsFile, EtcFiles.Hosts(c.Hostname));
            AtomicWrite(paths.ResolvConfFile, EtcFiles.ResolvConf());
            return;
        }
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        CheckPortsFree(ports);
        var attachments = new List<(ContainerNetwork, string, string[], string)>();
        var requested = ReadAttachOptions(paths);
        int ifIndex = 0;
        foreach (var name in c.Networks)
        {
            var n = name == NetworkMode.DefaultNetworkName ? DefaultNetwork() : NetworkStore.Get(name) ?? throw NetworkNotFound(name);
            requested.TryGetValue(name, out var want);
            var ip = NetworkStore.Allocate(n, c.Id, want?.Ip is { Length: > 0 } w ? IPAddress.Parse(w) : null).ToString();
            attachments.Add((n, ip, Aliases(c, want), "eth" + ifIndex++));
        }
        var json = NetavarkDriver.Options(c.Id, c.Name, ports, attachments);
        var netns = NetnsPathFor(c.Id);
        Directory.CreateDirectory(paths.RunDir);
        AtomicWrite(NetworkStateFile(paths), json);
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "netns create"))
            NetnsFile.Create(netns);
        var dns = DriverSetup(netns, json);
        c.IPAddresses = attachments.Select(a => a.Item2).ToArray();
        var gateway = attachments[0].Item1.Gateway;
        AtomicWrite(paths.HostsFile, EtcFiles.Hosts(c.Hostname, attachments.Select(a => (a.Item2, $"{c.Hostname} {c.Name}")).ToList(), gateway));
        AtomicWrite(paths.ResolvConfFile, dns.Count > 0 ? EtcFiles.ResolvConf(dns, "dns.podman") : EtcFiles.ResolvConf());
    }

    /// <summary>Both drivers only install DNAT rules; a port another process listens on would be silently
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

    /// <summary>Idempotent: the drivers' teardown (veth, firewall rules, DNS entries), the netns file and the
    /// addresses. Safe for a container that never had a network.</summary>
    private void TeardownNetwork(string id)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "teardown");
        if (Options.Rootless) { TeardownRootlessNetwork(id); return; }
        var paths = PathsFor(id);
        var state = NetworkStateFile(paths);
        var netns = NetnsPathFor(id);
        PodShellException? failure = null;
        if (File.Exists(state))
        {
            try { DriverTeardown(netns, File.ReadAllText(state)); }
            catch (PodShellException e) { failure = e; }
        }
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "netns remove"))
            NetnsFile.Remove(netns);
        if (failure == null && File.Exists(state)) File.Delete(state);
        NetworkStore.Release(id);
        if (failure != null) throw failure;
    }

    // ---- connect and disconnect (podman network connect / disconnect) -------------------------

    /// <summary>Per-network choices made with Connect-ContainerNetwork (-IPAddress, -Alias), kept in the
    /// bundle so every later start gives the same address and names; gone with the container.</summary>
    public sealed record NetworkAttachOptions(string Ip, string[] Aliases);

    private static string AttachOptionsFile(ContainerPaths p) => Path.Combine(p.BundleDir, "network-attach.json");

    private static Dictionary<string, NetworkAttachOptions> ReadAttachOptions(ContainerPaths p)
    {
        var f = AttachOptionsFile(p);
        if (!File.Exists(f)) return new();
        try { return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, NetworkAttachOptions>>(File.ReadAllText(f)) ?? new(); }
        catch (System.Text.Json.JsonException) { return new(); }
    }

    private void WriteAttachOptions(ContainerPaths p, Dictionary<string, NetworkAttachOptions> options)
    {
        if (options.Count == 0) { if (File.Exists(AttachOptionsFile(p))) File.Delete(AttachOptionsFile(p)); return; }
        Directory.CreateDirectory(p.BundleDir);
        AtomicWrite(AttachOptionsFile(p), System.Text.Json.JsonSerializer.Serialize(options));
    }

    private static string[] Aliases(Container c, NetworkAttachOptions? o) =>
        new[] { c.Name, c.Id[..12] }.Concat(o?.Aliases ?? Array.Empty<string>()).Distinct().ToArray();

    /// <summary>The containers whose own network namespace can gain or lose networks: not none, host or
    /// container:&lt;id&gt; (those have no interfaces of their own for a driver to manage).</summary>
    private static void RequireBridgeMode(Container c, string verb)
    {
        if (c.Network is "none" or "host" || c.Network.StartsWith("container:"))
            throw new PodShellException("NetworkModeNotConnectable", FailureKind.InvalidState,
                $"Container '{c.Name}' uses -Network {(c.Network.StartsWith("container:") ? "container:<id>" : c.Network)}: only a container on bridge networks can be {verb}.", c);
    }

    private ContainerNetwork ResolveNetworkForConnect(string network)
    {
        var mode = NetworkMode.Parse(network);
        if (mode.Kind != NetworkModeKind.Bridge)
            throw new PodShellException("NetworkModeNotConnectable", FailureKind.InvalidArgument,
                $"'{network}' is a network mode, not a network: a container can only be connected to bridge networks.", network);
        return mode.Value == NetworkMode.DefaultNetworkName ? DefaultNetwork() : NetworkStore.Get(mode.Value) ?? throw NetworkNotFound(mode.Value);
    }

    /// <summary>Attach a container to one more network (podman network connect). A running or paused
    /// container gets the interface at once: its network's driver sets up just that network on its existing netns,
    /// named after the highest ethN it has; a created or exited one gets it at its next start.</summary>
    public Container ConnectNetwork(string network, string container, string? ipAddress = null, IEnumerable<string>? aliases = null, CancellationToken ct = default)
    {
        if (Options.Rootless)
            throw new PodShellException("NetworkNotSupportedRootless", FailureKind.NotSupported,
                "Bridge networks need root; a rootless container has its user-mode network (slirp4netns), none or host.", network);
        var n = ResolveNetworkForConnect(network);
        IPAddress? want = null;
        if (!string.IsNullOrWhiteSpace(ipAddress))
        {
            if (!IPAddress.TryParse(ipAddress.Trim(), out want))
                throw new PodShellException("InvalidIPAddress", FailureKind.InvalidArgument, $"'{ipAddress}' is not an IPv4 address.", ipAddress);
            NetworkStore.CheckHostAddress(n, want);
        }
        var extra = (aliases ?? Array.Empty<string>()).Select(a => a.Trim()).Where(a => a.Length > 0).ToArray();
        foreach (var a in extra)
            if (!NameGenerator.IsValid(a))
                throw new PodShellException("InvalidNetworkAlias", FailureKind.InvalidArgument, $"'{a}' is not a valid alias: use letters, digits, '_', '.' and '-'.", a);

        var id = GetContainer(container).Id;
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        var c = r.Container;
        RequireBridgeMode(c, "connected");
        if (c.Networks.Contains(n.Name))
            throw new PodShellException("NetworkAlreadyConnected", FailureKind.AlreadyExists, $"Container '{c.Name}' is already connected to network '{n.Name}'.", c);
        var paths = PathsFor(id);
        var options = ReadAttachOptions(paths);
        var attach = new NetworkAttachOptions(want?.ToString() ?? "", extra);

        switch (c.State)
        {
            case ContainerState.Created or ContainerState.Exited:
                // Refuse an address another container holds now rather than at the next start.
                if (want != null && NetworkStore.Addresses().Any(a => a.Network == n.Name && a.Ip == want.ToString() && a.ContainerId != id))
                    throw new PodShellException("IPAddressInUse", FailureKind.ResourceBusy, $"{want} on network '{n.Name}' is already held by another container.", want.ToString());
                break;
            case ContainerState.Running or ContainerState.Paused:
                ConnectLive(c, paths, n, attach);
                break;
            default:
                throw new PodShellException("InvalidContainerState", FailureKind.InvalidState,
                    $"Container '{c.Name}' is {c.State}; connect it once it is running, created or exited.", c);
        }
        if (want != null || extra.Length > 0) { options[n.Name] = attach; WriteAttachOptions(paths, options); }
        c.Networks = c.Networks.Append(n.Name).ToArray();
        if (c.Networks.Length == 1) c.Network = n.Name;
        Store.UpdateContainer(r);
        return c;
    }

    private void ConnectLive(Container c, ContainerPaths paths, ContainerNetwork n, NetworkAttachOptions attach)
    {
        var netns = NetnsPathFor(c.Id);
        if (!NetnsFile.Exists(netns))
            throw new PodShellException("NetworkSetupFailed", FailureKind.InvalidState, $"Container '{c.Name}' has no network namespace file ({netns}).", c);
        var stateFile = NetworkStateFile(paths);
        var before = File.Exists(stateFile) ? File.ReadAllText(stateFile) : null;
        var full = before != null ? JsonNode.Parse(before)!.AsObject() : new JsonObject();
        var used = (full["networks"] as JsonObject)?.Select(kv => kv.Value?["interface_name"]?.GetValue<string>()).ToHashSet() ?? new HashSet<string?>();
        var iface = Enumerable.Range(0, 4096).Select(i => "eth" + i).First(i => !used.Contains(i));
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        var ip = NetworkStore.Allocate(n, c.Id, attach.Ip.Length > 0 ? IPAddress.Parse(attach.Ip) : null).ToString();
        // Ports go with every network, as podman's networkConnect passes them: both drivers forward them per network.
        var single = NetavarkDriver.Options(c.Id, c.Name, ports, new[] { (n, ip, Aliases(c, attach), iface) });
        var one = JsonNode.Parse(single)!.AsObject();
        foreach (var key in new[] { "container_id", "container_name", "port_mappings" })
            full[key] ??= one[key]!.DeepClone();
        foreach (var key in new[] { "networks", "network_info" })
        {
            if (full[key] is not JsonObject o) full[key] = o = new JsonObject();
            o[n.Name] = one[key]![n.Name]!.DeepClone();
        }
        // Written before the driver runs, so a pwsh killed now still has the new network torn down with the rest.
        AtomicWrite(stateFile, full.ToJsonString());
        try
        {
            DriverSetup(netns, single);
        }
        catch
        {
            try { DriverTeardown(netns, single, force: true); } catch (PodShellException) { }
            if (before != null) AtomicWrite(stateFile, before); else File.Delete(stateFile);
            NetworkStore.Release(c.Id, n.Name);
            throw;
        }
        c.IPAddresses = c.IPAddresses.Append(ip).ToArray();
        RewriteEtcFilesLive(c, paths, c.Networks.Append(n.Name).ToArray());
    }

    /// <summary>Detach a container from a network (podman network disconnect). A running one loses the
    /// interface at once (its driver tears down just that network); disconnecting the last network leaves
    /// it with only lo in its own namespace, as podman does, and a later connect can add one again.
    /// <paramref name="force"/> changes the record even when the driver's teardown fails.</summary>
    public Container DisconnectNetwork(string network, string container, bool force = false, CancellationToken ct = default)
    {
        if (Options.Rootless)
            throw new PodShellException("NetworkNotSupportedRootless", FailureKind.NotSupported,
                "Bridge networks need root; a rootless container has its user-mode network (slirp4netns), none or host.", network);
        var mode = NetworkMode.Parse(network);
        if (mode.Kind != NetworkModeKind.Bridge)
            throw new PodShellException("NetworkModeNotConnectable", FailureKind.InvalidArgument,
                $"'{network}' is a network mode, not a network: a container can only be disconnected from bridge networks.", network);
        var name = mode.Value;
        var id = GetContainer(container).Id;
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        var c = r.Container;
        if (!c.Networks.Contains(name))
        {
            if (name != NetworkMode.DefaultNetworkName && NetworkStore.Get(name) is null) throw NetworkNotFound(name);
            RequireBridgeMode(c, "disconnected");
            throw new PodShellException("NetworkNotConnected", FailureKind.InvalidState, $"Container '{c.Name}' is not connected to network '{name}'.", c);
        }
        var paths = PathsFor(id);
        switch (c.State)
        {
            case ContainerState.Created or ContainerState.Exited:
                NetworkStore.Release(id, name);
                break;
            case ContainerState.Running or ContainerState.Paused:
                DisconnectLive(c, paths, name, force);
                break;
            default:
                throw new PodShellException("InvalidContainerState", FailureKind.InvalidState,
                    $"Container '{c.Name}' is {c.State}; disconnect it once it is running, created or exited.", c);
        }
        var options = ReadAttachOptions(paths);
        if (options.Remove(name)) WriteAttachOptions(paths, options);
        int index = Array.IndexOf(c.Networks, name);
        c.Networks = c.Networks.Where(x => x != name).ToArray();
        if (c.IPAddresses.Length > index && c.State is ContainerState.Running or ContainerState.Paused)
            c.IPAddresses = c.IPAddresses.Where((_, i) => i != index).ToArray();
        if (c.Network == name) c.Network = c.Networks.FirstOrDefault() ?? "bridge";
        Store.UpdateContainer(r);
        return c;
    }

    private void DisconnectLive(Container c, ContainerPaths paths, string name, bool force)
    {
        var stateFile = NetworkStateFile(paths);
        if (File.Exists(stateFile) && JsonNode.Parse(File.ReadAllText(stateFile)) is JsonObject full
            && full["networks"] is JsonObject nets && nets[name] is { } mine)
        {
            var single = new JsonObject
            {
                ["container_id"] = full["container_id"]?.DeepClone(),
                ["container_name"] = full["container_name"]?.DeepClone(),
                ["port_mappings"] = full["port_mappings"]?.DeepClone() ?? new JsonArray(),
                ["networks"] = new JsonObject { [name] = mine.DeepClone() },
                ["network_info"] = new JsonObject { [name] = full["network_info"]?[name]?.DeepClone() },
            };
            DriverTeardown(NetnsPathFor(c.Id), single.ToJsonString(), force);
            nets.Remove(name);
            (full["network_info"] as JsonObject)?.Remove(name);
            AtomicWrite(stateFile, full.ToJsonString());
        }
        NetworkStore.Release(c.Id, name);
        RewriteEtcFilesLive(c, paths, c.Networks.Where(x => x != name).ToArray());
    }

    /// <summary>/etc/hosts and /etc/resolv.conf of a running container after a connect or disconnect.
    /// Written in place: the runtime bind-mounted these very inodes, so a rename would go unseen.</summary>
    private void RewriteEtcFilesLive(Container c, ContainerPaths paths, string[] networks)
    {
        var addrs = NetworkStore.Addresses().Where(a => a.ContainerId == c.Id).ToList();
        var own = new List<(string Ip, string Names)>();
        var nets = new List<ContainerNetwork>();
        foreach (var name in networks)
        {
            if (NetworkStore.Get(name) is not { } n) continue;
            nets.Add(n);
            if (addrs.FirstOrDefault(a => a.Network == name) is { Ip: { Length: > 0 } ip }) own.Add((ip, $"{c.Hostname} {c.Name}"));
        }
        // aardvark-dns answers on the gateway of each DNS-enabled network (netavark's dns_server_ips).
        var dns = nets.Where(n => n.DnsEnabled).Select(n => n.Gateway).Distinct().ToList();
        File.WriteAllText(paths.HostsFile, own.Count > 0 ? EtcFiles.Hosts(c.Hostname, own, nets[0].Gateway) : EtcFiles.Hosts(c.Hostname));
        File.WriteAllText(paths.ResolvConfFile, dns.Count > 0 ? EtcFiles.ResolvConf(dns, "dns.podman") : EtcFiles.ResolvConf());
    }
}
