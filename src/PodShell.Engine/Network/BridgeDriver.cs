using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Network;

/// <summary>The bridge driver for networks without DNS, in-process: what netavark 1.4's bridge driver does
/// with the iptables firewall (bridge with the gateway address, a veth pair per container, address and
/// default route in the container, masquerade/forward/DNAT rules), through netlink and one
/// iptables-restore instead of netavark's process, its per-rule iptables processes and its bridge
/// recreated for every first container (issue 9). Networks with DNS stay with netavark: aardvark-dns is
/// its business. The choice is per network, never per container, so the two never share a bridge.
/// It reads the same NetworkOptions JSON as netavark, so network.json serves either.</summary>
public sealed class BridgeDriver : INetworkDriver
{
    /// <summary>The metric netavark gives default routes (constants::DEFAULT_METRIC).</summary>
    public const uint DefaultRouteMetric = 100;

    /// <summary>The network_info field that names the driver of a network, and this driver's name there.</summary>
    public const string DriverField = "podshell_driver", DriverName = "bridge";

    /// <summary>True when the network of this network_info entry is handled in-process: marked so by
    /// <see cref="NetavarkDriver.Options"/> (a network without DNS). An entry without the mark was set up
    /// by netavark before this driver existed, and netavark tears it down.</summary>
    public static bool Handles(JsonNode? networkInfo) =>
        networkInfo?[DriverField] is JsonValue v && v.TryGetValue<string>(out var d) && d == DriverName;

    /// <summary>Splits NetworkOptions JSON into the part for this driver and the part for netavark; either
    /// is null when it has no network. Port mappings go with both, as netavark forwards them per network.</summary>
    public static (string? Native, string? Netavark) Split(string optionsJson)
    {
        var all = JsonNode.Parse(optionsJson)!.AsObject();
        var networks = all["networks"] as JsonObject ?? new JsonObject();
        var info = all["network_info"] as JsonObject ?? new JsonObject();
        string? Part(bool native)
        {
            var names = networks.Select(kv => kv.Key).Where(n => Handles(info[n]) == native).ToList();
            if (names.Count == 0) return null;
            var o = new JsonObject();
            foreach (var kv in all)
                if (kv.Key is not ("networks" or "network_info")) o[kv.Key] = kv.Value?.DeepClone();
            o["networks"] = new JsonObject(names.Select(n => KeyValuePair.Create(n, networks[n]?.DeepClone())));
            o["network_info"] = new JsonObject(names.Select(n => KeyValuePair.Create(n, info[n]?.DeepClone())));
            return o.ToJsonString();
        }
        return (Part(true), Part(false));
    }

    /// <summary>The attachments that NetworkOptions JSON describes (every network in it).</summary>
    public static IReadOnlyList<BridgeAttachment> Attachments(string optionsJson)
    {
        var o = JsonNode.Parse(optionsJson)!.AsObject();
        var id = o["container_id"]!.GetValue<string>();
        var ports = (o["port_mappings"] as JsonArray ?? new JsonArray()).Select(p => new PortMapping(
            p!["host_ip"]?.GetValue<string>() ?? "", p["host_port"]!.GetValue<int>(), p["container_port"]!.GetValue<int>(),
            p["range"]?.GetValue<int>() ?? 1, p["protocol"]?.GetValue<string>() ?? "tcp")).ToArray();
        var list = new List<BridgeAttachment>();
        foreach (var (name, net) in o["networks"] as JsonObject ?? new JsonObject())
        {
            var info = o["network_info"]?[name] ?? throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.InvalidArgument, $"The network options lack network_info for '{name}'.", name);
            var subnet = info["subnets"]![0]!;
            list.Add(new BridgeAttachment(id, name, info["network_interface"]!.GetValue<string>(),
                subnet["subnet"]!.GetValue<string>(), subnet["gateway"]!.GetValue<string>(),
                info["internal"]?.GetValue<bool>() ?? false,
                net!["static_ips"]![0]!.GetValue<string>(), net["interface_name"]!.GetValue<string>(),
                HostVethName(id, name), ports));
        }
        return list;
    }

    /// <summary>"veth" and 11 hex digits of the container id and network: derived, so a teardown finds the
    /// interface without the container's namespace, and a setup finds the leftover of a killed one.</summary>
    public static string HostVethName(string containerId, string network) =>
        "veth" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(containerId + "\n" + network)))[..11].ToLowerInvariant();

    /// <summary>Sets up every network in <paramref name="optionsJson"/> for the namespace behind
    /// <paramref name="netnsPath"/>. On failure, what was done is undone before the error is thrown.</summary>
    public void Setup(string netnsPath, string optionsJson)
    {
        var attachments = Attachments(optionsJson);
        if (attachments.Count == 0) return;
        using var hostLock = AcquireHostLock();
        BridgeFirewall.Restore? rules = null;
        try
        {
            Sysctl("/proc/sys/net/ipv4/ip_forward", "1");
            // Recorded first, so a pwsh killed from here on leaves entries that the next rewrite drops
            // (their veths are gone) or this container's teardown removes.
            BridgeFirewall.Record(attachments);
            using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "iptables-restore start"))
                rules = BridgeFirewall.Start(attachments);
            using (var host = NetlinkSocket.Open())
            using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "bridge + veth"))
            {
                int nsFd = NetlinkSocket.OpenNamespaceFd(netnsPath);
                try
                {
                    foreach (var a in attachments)
                    {
                        int bridge = EnsureBridge(host, a);
                        if (a.Ports.Length > 0 && !a.Internal) Sysctl($"/proc/sys/net/ipv4/conf/{a.Bridge}/route_localnet", "1");
                        Netlink.DeleteLink(host, a.HostVeth);
                        Netlink.CreateVethPair(host, a.HostVeth, bridge, a.Interface, nsFd);
                    }
                }
                finally { NetlinkSocket.CloseFd(nsFd); }
            }
            using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "address + route"))
            NetlinkSocket.RunIn(netnsPath, () =>
            {
                using var ns = NetlinkSocket.Open();
                Netlink.SetUp(ns, 1); // lo is index 1 in every namespace
                foreach (var a in attachments)
                {
                    var link = Netlink.GetLink(ns, a.Interface)
                        ?? throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"{a.Interface} did not appear in {netnsPath}.", netnsPath);
                    var net = IPNetwork.Parse(a.Subnet);
                    Netlink.AddAddress(ns, link.Index, IPAddress.Parse(a.Ip), net.PrefixLength);
                    // Before the link goes up: arp_notify makes "up" announce the address, so neighbours
                    // forget the MAC of a container that held it before (netavark sets it too).
                    Sysctl($"/proc/sys/net/ipv4/conf/{a.Interface}/arp_notify", "1");
                    Netlink.SetUp(ns, link.Index);
                    if (!a.Internal) Netlink.AddDefaultRoute(ns, IPAddress.Parse(a.Gateway), DefaultRouteMetric);
                }
                return 0;
            });
            using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "iptables-restore"))
                rules.Wait();
        }
        catch
        {
            // The restore may still run: a second one must not race it (the later commit would win).
            rules?.WaitQuietly();
            try { TeardownLocked(attachments); } catch (PodShellException) { } catch (IOException) { }
            throw;
        }
    }

    string INetworkDriver.Name => DriverName;

    NetworkSetupResult INetworkDriver.Setup(NetworkAttachment a)
    {
        Setup(a.NetnsPath, a.OptionsJson);
        return new NetworkSetupResult(Attachments(a.OptionsJson).Select(x => x.Ip).ToArray(), Array.Empty<string>());
    }

    void INetworkDriver.Teardown(NetworkAttachment a, bool force)
    {
        try { Teardown(a.OptionsJson); }
        catch (PodShellException) when (force) { }
    }

    /// <summary>Idempotent: removes the host veths (their peers go with them), the rules of these
    /// attachments, and each bridge left without ports. Needs no namespace: a lost one changes nothing.</summary>
    public void Teardown(string optionsJson)
    {
        var attachments = Attachments(optionsJson);
        if (attachments.Count == 0) return;
        using var hostLock = AcquireHostLock();
        TeardownLocked(attachments);
    }

    private static void TeardownLocked(IReadOnlyList<BridgeAttachment> attachments)
    {
        BridgeFirewall.Forget(attachments);
        // The rules no longer name these attachments whether or not their veths are gone yet, so the
        // restore runs while the kernel deletes the links.
        BridgeFirewall.Restore rules;
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "iptables-restore start"))
            rules = BridgeFirewall.Start();
        try
        {
            using var host = NetlinkSocket.Open();
            using var _ = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "links");
            foreach (var group in attachments.GroupBy(a => a.Bridge))
            {
                var veths = group.Select(a => a.HostVeth).ToHashSet();
                var bridge = Netlink.GetLink(host, group.Key);
                if (bridge is not { Kind: "bridge" })
                {
                    foreach (var v in veths) Netlink.DeleteLink(host, v);
                    continue;
                }
                var ports = Netlink.Ports(host, bridge.Index);
                if (ports.Any(p => !veths.Contains(p.Name)))
                {
                    foreach (var v in veths) Netlink.DeleteLink(host, v);
                    continue;
                }
                // The last ports go: they and the bridge leave in one batch (a link group only they
                // carry), about 20 ms less than one deletion after the other.
                uint tag = LinkGroup(group.First().ContainerId);
                foreach (var v in ports) Netlink.SetGroup(host, v.Name, tag);
                Netlink.SetGroup(host, group.Key, tag);
                Netlink.DeleteGroup(host, tag);
                foreach (var v in veths) Netlink.DeleteLink(host, v);
            }
        }
        catch
        {
            rules.WaitQuietly();
            throw;
        }
        using (Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "iptables-restore"))
            rules.Wait();
    }

    // Well above the small numbers /etc/iproute2/group hands out, and different per container.
    private static uint LinkGroup(string containerId) =>
        0x40000000u | (BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(containerId)), 0) & 0x3fffffffu);

    /// <summary>The bridge with the gateway address, up; created when missing (netavark's create_interfaces).</summary>
    private static int EnsureBridge(NetlinkSocket host, BridgeAttachment a)
    {
        var link = Netlink.GetLink(host, a.Bridge);
        if (link == null)
        {
            Netlink.CreateBridge(host, a.Bridge, RandomMac());
            link = Netlink.GetLink(host, a.Bridge) ?? throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"Bridge {a.Bridge} did not appear.", a.Bridge);
        }
        else if (link.Kind != "bridge")
            throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.InvalidState, $"Interface {a.Bridge} exists but is a {(link.Kind.Length > 0 ? link.Kind : "plain")} interface, not a bridge.", a.Bridge);
        Netlink.AddAddress(host, link.Index, IPAddress.Parse(a.Gateway), IPNetwork.Parse(a.Subnet).PrefixLength);
        // netavark: an internal network routes nothing.
        if (a.Internal) Sysctl($"/proc/sys/net/ipv4/conf/{a.Bridge}/forwarding", "0");
        if (!link.Up) Netlink.SetUp(host, link.Index);
        return link.Index;
    }

    // A bridge without an address of its own takes the lowest MAC of its ports, which changes as
    // containers come and go and leaves the others with a stale ARP entry for the gateway; a set
    // address (NET_ADDR_SET) stays.
    private static byte[] RandomMac()
    {
        var mac = RandomNumberGenerator.GetBytes(6);
        mac[0] = (byte)((mac[0] & 0xfe) | 0x02);
        return mac;
    }

    private static void Sysctl(string path, string value)
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == value) return;
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"Could not set {path} to {value}: {e.Message}", path);
        }
    }

    // Shared with netavark runs of every engine on the host: a wait here is another process's network work.
    private static FileLock AcquireHostLock()
    {
        using var _ = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Network, "host lock");
        return FileLock.Acquire(NetavarkDriver.HostLockFile, TimeSpan.FromMinutes(2));
    }
}
