using System.Net;
using System.Net.Sockets;
using PodShell.Engine.Containers;
using PodShell.Engine.IO;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Network;

/// <summary>A container's network from create to removal: -Network/-Publish/-Pid/-Ipc/-Uts at create time,
/// the spec's namespace paths, the setup before conmon and the teardown when it exits, stops or is removed.</summary>
internal sealed partial class NetworkService
{
    // In the bundle (persistent), not the run root: after a reboot or a wiped run root the teardown still
    // knows which rules and addresses the container had.
    private static string NetworkStateFile(ContainerPaths p) => Path.Combine(p.BundleDir, "network.json");

    /// <summary>Resolves -Network/-Publish/-Pid/-Ipc/-Uts onto the record at create time, so every refusal
    /// happens before anything exists. Without bridge networks the default is the user-mode network.</summary>
    public void ApplyNetworkOptions(CreateOptions o, Container c)
    {
        var text = (o.Network ?? "").Trim();
        if (_drivers.UserModeNetwork is { } userMode && UserModeDriver.IsRequestedBy(text))
        {
            c.Network = userMode.Name;
            c.Networks = Array.Empty<string>();
            ApplyPortsAndSharing(o, c, (o.Publish ?? []).Select(PortMapping.Parse).ToList());
            return;
        }
        var mode = NetworkMode.Parse(text);
        var ports = (o.Publish ?? []).Select(PortMapping.Parse).ToList();
        if (mode.Kind is NetworkModeKind.Bridge && !_drivers.BridgeNetworks)
            throw new PodShellException(ErrorIds.NetworkNotSupportedRootless, FailureKind.NotSupported,
                $"-Network '{text}': bridge networks need root. A rootless container can use {UserModeDriver.NetworkName} (the default), none, host or container:<name>.", text);
        if (ports.Count > 0 && mode.Kind is not NetworkModeKind.Bridge)
            throw new PodShellException(ErrorIds.PublishNeedsNetwork, FailureKind.InvalidArgument,
                $"-Publish needs {(_drivers.BridgeNetworks ? "a bridge network" : "a network of the container's own")}; -Network {mode} has no ports of its own to publish.", mode.ToString());
        switch (mode.Kind)
        {
            case NetworkModeKind.Bridge:
                var net = Named(mode.Value);
                c.Network = net.Name;
                c.Networks = new[] { net.Name };
                break;
            case NetworkModeKind.Container:
                c.Network = "container:" + _containers.Resolve(mode.Value).Id;
                break;
            default:
                c.Network = mode.ToString();
                break;
        }
        ApplyPortsAndSharing(o, c, ports);
    }

    /// <summary>What every network mode has in common: the ports, and -Pid/-Ipc/-Uts sharing.</summary>
    public void ApplyPortsAndSharing(CreateOptions o, Container c, IEnumerable<PortMapping> ports)
    {
        c.Ports = ports.Select(p => p.ToString()).ToArray();
        c.PidMode = ResolveShared(o.Pid);
        c.IpcMode = ResolveShared(o.Ipc);
        c.UtsMode = ResolveShared(o.Uts);
    }

    private string ResolveShared(string? text)
    {
        var m = NetworkMode.Parse(text, networksAllowed: false);
        return m.Kind == NetworkModeKind.Container ? "container:" + _containers.Resolve(m.Value).Id : m.ToString();
    }

    /// <summary>spec.NetworkMode for config.json.</summary>
    public string SpecNetworkMode(Container c)
    {
        if (c.Network == "host") return "host";
        if (c.Network == "none") return "none";
        if (c.Network.StartsWith("container:")) return "ns:" + SharedNamespacePath(c.Network, "net");
        return "ns:" + NetnsPathFor(c.Id);
    }

    /// <summary>The namespace file of another container: its netns file when it has one (stable across
    /// its restarts), else /proc/&lt;pid&gt;/ns/&lt;type&gt; of its running init. Rewritten at each start.</summary>
    public string SharedNamespacePath(string mode, string type)
    {
        var targetId = mode["container:".Length..];
        if (type == "net" && NetnsFile.Exists(NetnsPathFor(targetId))) return NetnsPathFor(targetId);
        var r = _ctx.Store.GetContainer(targetId);
        var t = r is null ? null : _containers.Reconcile(r)?.Container;
        if (t is null)
            throw new PodShellException(ErrorIds.ContainerNotFound, FailureKind.NotFound, $"The container {targetId[..12]} whose {type} namespace this one shares no longer exists.", targetId);
        if (t.State is not (ContainerState.Running or ContainerState.Paused) || t.Pid <= 0)
            throw new PodShellException(ErrorIds.SharedContainerNotRunning, FailureKind.InvalidState,
                $"Container '{t.Name}' must be running: this container joins its {type} namespace.", t);
        if (type == "net" && t.Network.StartsWith("container:")) return SharedNamespacePath(t.Network, type);
        return $"/proc/{t.Pid}/ns/{type}";
    }

    /// <summary>Before conmon: netns file, addresses, ports checked free, the drivers' setup, /etc files.
    /// network.json is written before any driver runs, so a teardown always knows what to undo.</summary>
    public void SetupNetwork(Container c, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "setup");
        c.IPAddresses = Array.Empty<string>();
        if (c.Network is "none" or "host" || c.Network.StartsWith("container:")) return;
        var netns = NetnsPathFor(c.Id);
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        if (_drivers.UserModeNetwork is { } userMode && c.Network == userMode.Name)
        {
            var result = userMode.Setup(new NetworkAttachment(c.Id, netns, ports, ""));
            AtomicFile.Write(paths.ResolvConfFile, result.ResolvConf ?? EtcFiles.ResolvConf(result.DnsServers, "dns.podman"));
            c.IPAddresses = result.Addresses.ToArray();
            return;
        }
        if (c.Networks.Length == 0)
        {
            // Disconnected from its last network: its own namespace with only lo, as podman leaves it,
            // so a later Connect-ContainerNetwork has a namespace to add an interface to.
            NetnsFile.Create(netns);
            NetnsFile.BringLoopbackUp(netns);
            AtomicFile.Write(paths.HostsFile, EtcFiles.Hosts(c.Hostname));
            AtomicFile.Write(paths.ResolvConfFile, EtcFiles.ResolvConf());
            return;
        }
        CheckPortsFree(ports);
        var attachments = new List<(ContainerNetwork, string, string[], string)>();
        var requested = ReadAttachOptions(paths);
        int ifIndex = 0;
        foreach (var name in c.Networks)
        {
            var n = Named(name);
            requested.TryGetValue(name, out var want);
            var ip = Networks.Allocate(n, c.Id, want?.Ip is { Length: > 0 } w ? IPAddress.Parse(w) : null).ToString();
            attachments.Add((n, ip, Aliases(c, want), "eth" + ifIndex++));
        }
        var json = NetavarkDriver.Options(c.Id, c.Name, ports, attachments);
        Directory.CreateDirectory(paths.RunDir);
        AtomicFile.Write(NetworkStateFile(paths), json);
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "netns create"))
            NetnsFile.Create(netns);
        var dns = _drivers.SetupNetworks(new NetworkAttachment(c.Id, netns, ports, json));
        c.IPAddresses = attachments.Select(a => a.Item2).ToArray();
        var gateway = attachments[0].Item1.Gateway;
        AtomicFile.Write(paths.HostsFile, EtcFiles.Hosts(c.Hostname, attachments.Select(a => (a.Item2, $"{c.Hostname} {c.Name}")).ToList(), gateway));
        AtomicFile.Write(paths.ResolvConfFile, dns.Count > 0 ? EtcFiles.ResolvConf(dns, "dns.podman") : EtcFiles.ResolvConf());
    }

    /// <summary>The drivers only install DNAT rules; a port another process listens on would be silently
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
                    throw new PodShellException(ErrorIds.PortInUse, FailureKind.ResourceBusy,
                        $"Host port {p.HostPort + i}/{p.Protocol} on {(p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0")} is already in use.", p.ToString());
                }
            }
    }

    /// <summary>Idempotent: the drivers' teardown (slirp4netns; veth, firewall rules, DNS entries), the netns
    /// file and the addresses. Safe for a container that never had a network.</summary>
    public void TeardownNetwork(string id)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "teardown");
        var netns = NetnsPathFor(id);
        // Its state is keyed by the container, not recorded in network.json: asked every time, a no-op when unused.
        _drivers.UserModeNetwork?.Teardown(new NetworkAttachment(id, netns, Array.Empty<PortMapping>(), ""), force: false);
        var state = NetworkStateFile(_ctx.PathsFor(id));
        PodShellException? failure = null;
        if (File.Exists(state))
        {
            try { _drivers.TeardownNetworks(new NetworkAttachment(id, netns, Array.Empty<PortMapping>(), File.ReadAllText(state))); }
            catch (PodShellException e) { failure = e; }
        }
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "netns remove"))
            NetnsFile.Remove(netns);
        if (failure == null && File.Exists(state)) File.Delete(state);
        // Only bridge networks hand out addresses (and have the tables that hold them).
        if (_drivers.BridgeNetworks) Networks.Release(id);
        if (failure != null) throw failure;
    }
}
