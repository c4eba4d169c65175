using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PodShell.Engine.Containers;
using PodShell.Engine.IO;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Network;

/// <summary>Per-network choices made with Connect-ContainerNetwork (-IPAddress, -Alias), kept in the
/// bundle so every later start gives the same address and names; gone with the container.</summary>
internal sealed record NetworkAttachOptions(string Ip, string[] Aliases);

/// <summary>Connect and disconnect (podman network connect / disconnect), at once for a running container.</summary>
internal sealed partial class NetworkService
{
    private static string AttachOptionsFile(ContainerPaths p) => Path.Combine(p.BundleDir, "network-attach.json");

    private static Dictionary<string, NetworkAttachOptions> ReadAttachOptions(ContainerPaths p)
    {
        var f = AttachOptionsFile(p);
        if (!File.Exists(f)) return new();
        try { return JsonSerializer.Deserialize<Dictionary<string, NetworkAttachOptions>>(File.ReadAllText(f)) ?? new(); }
        catch (JsonException) { return new(); }
    }

    private static void WriteAttachOptions(ContainerPaths p, Dictionary<string, NetworkAttachOptions> options)
    {
        if (options.Count == 0) { if (File.Exists(AttachOptionsFile(p))) File.Delete(AttachOptionsFile(p)); return; }
        Directory.CreateDirectory(p.BundleDir);
        AtomicFile.Write(AttachOptionsFile(p), JsonSerializer.Serialize(options));
    }

    private static string[] Aliases(Container c, NetworkAttachOptions? o) =>
        new[] { c.Name, c.Id[..12] }.Concat(o?.Aliases ?? Array.Empty<string>()).Distinct().ToArray();

    /// <summary>Only bridge networks can be joined or left while a container exists.</summary>
    private void RequireBridgeNetworks(string network)
    {
        if (!_drivers.BridgeNetworks)
            throw new PodShellException(ErrorIds.NetworkNotSupportedRootless, FailureKind.NotSupported,
                $"Bridge networks need root; a rootless container has its user-mode network ({UserModeDriver.NetworkName}), none or host.", network);
    }

    /// <summary>The containers whose own network namespace can gain or lose networks: not none, host or
    /// container:&lt;id&gt; (those have no interfaces of their own for a driver to manage).</summary>
    private static void RequireBridgeMode(Container c, string verb)
    {
        if (c.Network is "none" or "host" || c.Network.StartsWith("container:"))
            throw new PodShellException(ErrorIds.NetworkModeNotConnectable, FailureKind.InvalidState,
                $"Container '{c.Name}' uses -Network {(c.Network.StartsWith("container:") ? "container:<id>" : c.Network)}: only a container on bridge networks can be {verb}.", c);
    }

    private ContainerNetwork ResolveNetworkForConnect(string network)
    {
        var mode = NetworkMode.Parse(network);
        if (mode.Kind != NetworkModeKind.Bridge)
            throw new PodShellException(ErrorIds.NetworkModeNotConnectable, FailureKind.InvalidArgument,
                $"'{network}' is a network mode, not a network: a container can only be connected to bridge networks.", network);
        return Named(mode.Value);
    }

    /// <summary>Attach a container to one more network (podman network connect). A running or paused
    /// container gets the interface at once: its network's driver sets up just that network on its existing netns,
    /// named after the highest ethN it has; a created or exited one gets it at its next start.</summary>
    public Container ConnectNetwork(string network, string container, string? ipAddress = null, IEnumerable<string>? aliases = null, CancellationToken ct = default)
    {
        RequireBridgeNetworks(network);
        var n = ResolveNetworkForConnect(network);
        IPAddress? want = null;
        if (!string.IsNullOrWhiteSpace(ipAddress))
        {
            if (!IPAddress.TryParse(ipAddress.Trim(), out want))
                throw new PodShellException(ErrorIds.InvalidIPAddress, FailureKind.InvalidArgument, $"'{ipAddress}' is not an IPv4 address.", ipAddress);
            NetworkStore.CheckHostAddress(n, want);
        }
        var extra = (aliases ?? Array.Empty<string>()).Select(a => a.Trim()).Where(a => a.Length > 0).ToArray();
        foreach (var a in extra)
            if (!NameGenerator.IsValid(a))
                throw new PodShellException(ErrorIds.InvalidNetworkAlias, FailureKind.InvalidArgument, $"'{a}' is not a valid alias: use letters, digits, '_', '.' and '-'.", a);

        using var handle = _containers.Open(container, ct);
        var r = handle.Record;
        var c = r.Container;
        var id = c.Id;
        RequireBridgeMode(c, "connected");
        if (c.Networks.Contains(n.Name))
            throw new PodShellException(ErrorIds.NetworkAlreadyConnected, FailureKind.AlreadyExists, $"Container '{c.Name}' is already connected to network '{n.Name}'.", c);
        var paths = _ctx.PathsFor(id);
        var options = ReadAttachOptions(paths);
        var attach = new NetworkAttachOptions(want?.ToString() ?? "", extra);

        switch (c.State)
        {
            case ContainerState.Created or ContainerState.Exited:
                // Refuse an address another container holds now rather than at the next start.
                if (want != null && Networks.Addresses().Any(a => a.Network == n.Name && a.Ip == want.ToString() && a.ContainerId != id))
                    throw new PodShellException(ErrorIds.IPAddressInUse, FailureKind.ResourceBusy, $"{want} on network '{n.Name}' is already held by another container.", want.ToString());
                break;
            case ContainerState.Running or ContainerState.Paused:
                ConnectLive(c, paths, n, attach);
                break;
            default:
                throw new PodShellException(ErrorIds.InvalidContainerState, FailureKind.InvalidState,
                    $"Container '{c.Name}' is {c.State}; connect it once it is running, created or exited.", c);
        }
        if (want != null || extra.Length > 0) { options[n.Name] = attach; WriteAttachOptions(paths, options); }
        c.Networks = c.Networks.Append(n.Name).ToArray();
        if (c.Networks.Length == 1) c.Network = n.Name;
        _ctx.Store.UpdateContainer(r);
        return c;
    }

    private void ConnectLive(Container c, ContainerPaths paths, ContainerNetwork n, NetworkAttachOptions attach)
    {
        var netns = NetnsPathFor(c.Id);
        if (!NetnsFile.Exists(netns))
            throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.InvalidState, $"Container '{c.Name}' has no network namespace file ({netns}).", c);
        var stateFile = NetworkStateFile(paths);
        var before = File.Exists(stateFile) ? File.ReadAllText(stateFile) : null;
        var full = before != null ? JsonNode.Parse(before)!.AsObject() : new JsonObject();
        var used = (full["networks"] as JsonObject)?.Select(kv => kv.Value?["interface_name"]?.GetValue<string>()).ToHashSet() ?? new HashSet<string?>();
        var iface = Enumerable.Range(0, 4096).Select(i => "eth" + i).First(i => !used.Contains(i));
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        var ip = Networks.Allocate(n, c.Id, attach.Ip.Length > 0 ? IPAddress.Parse(attach.Ip) : null).ToString();
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
        AtomicFile.Write(stateFile, full.ToJsonString());
        var attachment = new NetworkAttachment(c.Id, netns, ports, single);
        try
        {
            _drivers.SetupNetworks(attachment);
        }
        catch
        {
            try { _drivers.TeardownNetworks(attachment, force: true); } catch (PodShellException) { }
            if (before != null) AtomicFile.Write(stateFile, before); else File.Delete(stateFile);
            Networks.Release(c.Id, n.Name);
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
        RequireBridgeNetworks(network);
        var mode = NetworkMode.Parse(network);
        if (mode.Kind != NetworkModeKind.Bridge)
            throw new PodShellException(ErrorIds.NetworkModeNotConnectable, FailureKind.InvalidArgument,
                $"'{network}' is a network mode, not a network: a container can only be disconnected from bridge networks.", network);
        var name = mode.Value;
        using var handle = _containers.Open(container, ct);
        var r = handle.Record;
        var c = r.Container;
        var id = c.Id;
        if (!c.Networks.Contains(name))
        {
            if (name != NetworkMode.DefaultNetworkName && Networks.Get(name) is null) throw NetworkNotFound(name);
            RequireBridgeMode(c, "disconnected");
            throw new PodShellException(ErrorIds.NetworkNotConnected, FailureKind.InvalidState, $"Container '{c.Name}' is not connected to network '{name}'.", c);
        }
        var paths = _ctx.PathsFor(id);
        switch (c.State)
        {
            case ContainerState.Created or ContainerState.Exited:
                Networks.Release(id, name);
                break;
            case ContainerState.Running or ContainerState.Paused:
                DisconnectLive(c, paths, name, force);
                break;
            default:
                throw new PodShellException(ErrorIds.InvalidContainerState, FailureKind.InvalidState,
                    $"Container '{c.Name}' is {c.State}; disconnect it once it is running, created or exited.", c);
        }
        var options = ReadAttachOptions(paths);
        if (options.Remove(name)) WriteAttachOptions(paths, options);
        int index = Array.IndexOf(c.Networks, name);
        c.Networks = c.Networks.Where(x => x != name).ToArray();
        if (c.IPAddresses.Length > index && c.State is ContainerState.Running or ContainerState.Paused)
            c.IPAddresses = c.IPAddresses.Where((_, i) => i != index).ToArray();
        if (c.Network == name) c.Network = c.Networks.FirstOrDefault() ?? "bridge";
        _ctx.Store.UpdateContainer(r);
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
            _drivers.TeardownNetworks(new NetworkAttachment(c.Id, NetnsPathFor(c.Id), Array.Empty<PortMapping>(), single.ToJsonString()), force);
            nets.Remove(name);
            (full["network_info"] as JsonObject)?.Remove(name);
            AtomicFile.Write(stateFile, full.ToJsonString());
        }
        Networks.Release(c.Id, name);
        RewriteEtcFilesLive(c, paths, c.Networks.Where(x => x != name).ToArray());
    }

    /// <summary>/etc/hosts and /etc/resolv.conf of a running container after a connect or disconnect.
    /// Written in place: the runtime bind-mounted these very inodes, so a rename would go unseen.</summary>
    private void RewriteEtcFilesLive(Container c, ContainerPaths paths, string[] networks)
    {
        var addrs = Networks.Addresses().Where(a => a.ContainerId == c.Id).ToList();
        var own = new List<(string Ip, string Names)>();
        var nets = new List<ContainerNetwork>();
        foreach (var name in networks)
        {
            if (Networks.Get(name) is not { } n) continue;
            nets.Add(n);
            if (addrs.FirstOrDefault(a => a.Network == name) is { Ip: { Length: > 0 } ip }) own.Add((ip, $"{c.Hostname} {c.Name}"));
        }
        // aardvark-dns answers on the gateway of each DNS-enabled network (netavark's dns_server_ips).
        var dns = nets.Where(n => n.DnsEnabled).Select(n => n.Gateway).Distinct().ToList();
        File.WriteAllText(paths.HostsFile, own.Count > 0 ? EtcFiles.Hosts(c.Hostname, own, nets[0].Gateway) : EtcFiles.Hosts(c.Hostname));
        File.WriteAllText(paths.ResolvConfFile, dns.Count > 0 ? EtcFiles.ResolvConf(dns, "dns.podman") : EtcFiles.ResolvConf());
    }
}
