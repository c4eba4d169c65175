using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using PodShell.Engine.Network;
using Xunit;

using static PodShell.Engine.Tests.Network.NetworkTestSupport;

namespace PodShell.Engine.Tests.Network;

/// <summary>The in-process bridge driver on namespaces and a bridge the tests make themselves: what the
/// kernel and iptables-save show afterwards, read back with `ip -j` inside the namespace.</summary>
public sealed class BridgeDriverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ps-bridge-").FullName;
    private readonly int _tag = Environment.ProcessId % 200 + 20;
    private readonly string _bridge = $"psbd{Environment.ProcessId % 100000}";
    private readonly List<string> _netns = new();
    private readonly List<string> _jsons = new();
    private readonly List<string> _links = new();
    private readonly BridgeDriver _driver = new();

    private string Subnet => $"10.233.{_tag}.0/24";
    private string Prefix => $"10.233.{_tag}.";

    public void Dispose()
    {
        foreach (var j in _jsons) try { _driver.Teardown(j); } catch (PodShellException) { }
        foreach (var n in _netns) try { NetnsFile.Remove(n); } catch (PodShellException) { }
        foreach (var l in _links.Append(_bridge)) if (Directory.Exists("/sys/class/net/" + l)) Sh("ip", "link", "del", l);
        Directory.Delete(_dir, true);
    }

    private ContainerNetwork Net(bool dns = false, bool @internal = false, string? bridge = null, string? subnet = null) => new()
    {
        Name = "bdtest" + _tag + (dns ? "dns" : ""),
        Id = new string('a', 64),
        Subnet = subnet ?? Subnet,
        Gateway = (subnet ?? Subnet).Replace(".0/24", ".1"),
        NetworkInterface = bridge ?? _bridge,
        Internal = @internal,
        DnsEnabled = dns,
    };

    private (string Id, string Netns, string Json) Attach(ContainerNetwork n, string ip, params PortMapping[] ports)
    {
        var id = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        var netns = Path.Combine(_dir, id[..12]);
        NetnsFile.Create(netns);
        _netns.Add(netns);
        var json = NetavarkDriver.Options(id, "c" + id[..6], ports, new[] { (n, ip, new[] { "c" + id[..6] }, "eth0") });
        _jsons.Add(json);
        return (id, netns, json);
    }

    private static JsonArray IpJson(string netns, params string[] args) =>
        JsonNode.Parse(Sh("nsenter", new[] { "--net=" + netns, "ip", "-j" }.Concat(args).ToArray()))!.AsArray();

    private static bool LinkExists(string name) => Directory.Exists("/sys/class/net/" + name);

    [MachineFact(Needs.Root)]
    public void Setup_GivesTheNamespaceItsAddressAndRoute_OnAPortOfTheBridge_AndTeardownRemovesAll()
    {
        var n = Net();
        var a = Attach(n, Prefix + "10");
        var b = Attach(n, Prefix + "11");
        _driver.Setup(a.Netns, a.Json);
        _driver.Setup(b.Netns, b.Json);

        // Host side: the bridge holds the gateway, is up, and has both host veths as ports.
        var br = JsonNode.Parse(Sh("ip", "-j", "addr", "show", "dev", _bridge))!.AsArray()[0]!;
        Assert.Contains(br["addr_info"]!.AsArray(), x => x!["local"]!.GetValue<string>() == Prefix + "1" && x["prefixlen"]!.GetValue<int>() == 24);
        Assert.Contains("UP", br["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        var ports = Directory.GetDirectories($"/sys/class/net/{_bridge}/brif").Select(d => Path.GetFileName(d)!).ToHashSet();
        Assert.Equal(new[] { BridgeDriver.HostVethName(a.Id, n.Name), BridgeDriver.HostVethName(b.Id, n.Name) }.ToHashSet(), ports);
        Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
        // Its MAC is set (NET_ADDR_SET = 3), so it does not follow the lowest MAC of its ports.
        Assert.Equal("3", File.ReadAllText($"/sys/class/net/{_bridge}/addr_assign_type").Trim());
        // The sysctl written from the thread inside the namespace landed there, not on the host.
        Assert.Equal("1", Sh("nsenter", "--net=" + a.Netns, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_notify").Trim());

        // Container side: lo and eth0 up, the address, the default route via the gateway.
        var addrs = IpJson(a.Netns, "addr");
        var eth0 = addrs.Single(x => x!["ifname"]!.GetValue<string>() == "eth0")!;
        Assert.Contains(eth0["addr_info"]!.AsArray(), x => x!["local"]!.GetValue<string>() == Prefix + "10" && x["prefixlen"]!.GetValue<int>() == 24);
        Assert.Equal("UP", eth0["operstate"]!.GetValue<string>());
        Assert.Contains("UP", addrs.Single(x => x!["ifname"]!.GetValue<string>() == "lo")!["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        var routes = IpJson(a.Netns, "route");
        Assert.Contains(routes, r => r!["dst"]!.GetValue<string>() == "default" && r["gateway"]!.GetValue<string>() == Prefix + "1" && r["dev"]!.GetValue<string>() == "eth0");

        // The two namespaces reach each other through the bridge.
        Assert.Contains(" 0% packet loss", Sh("nsenter", "--net=" + a.Netns, "busybox", "ping", "-c", "1", "-W", "5", Prefix + "11"));

        var rules = Sh("iptables-save");
        Assert.Contains($"-A {BridgeFirewall.NatChain} -s {Subnet} ! -d 224.0.0.0/4", rules);
        Assert.Contains($"-A {BridgeFirewall.ForwardChain} -s {Subnet}", rules);

        _driver.Teardown(a.Json);
        Assert.False(LinkExists(BridgeDriver.HostVethName(a.Id, n.Name)));
        Assert.True(LinkExists(_bridge), "the bridge goes only with its last port");
        Assert.Contains(Subnet, Sh("iptables-save"));

        _driver.Teardown(b.Json);
        Assert.False(LinkExists(_bridge));
        Assert.DoesNotContain(Subnet, Sh("iptables-save"));
        Assert.DoesNotContain(IpJson(b.Netns, "addr"), x => x!["ifname"]!.GetValue<string>() == "eth0");
    }

    [MachineFact(Needs.Root)]
    public async Task PublishedPort_AnswersOn127001_WithTheContainerIdInTheRules_UntilTeardown()
    {
        var n = Net(subnet: $"10.234.{_tag}.0/24", bridge: _bridge + "p");
        _links.Add(_bridge + "p");
        int port = FreePort();
        var c = Attach(n, $"10.234.{_tag}.5", PortMapping.Parse($"127.0.0.1:{port}:8080"));
        _driver.Setup(c.Netns, c.Json);
        var www = Directory.CreateDirectory(Path.Combine(_dir, "www")).FullName;
        File.WriteAllText(Path.Combine(www, "index.html"), "hello-bridge\n");
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in new[] { "--net=" + c.Netns, "busybox", "httpd", "-f", "-p", "8080", "-h", www }) psi.ArgumentList.Add(x);
        using var httpd = Process.Start(psi)!;
        try
        {
            var rules = Sh("iptables-save");
            Assert.Contains(c.Id, rules);
            Assert.Contains($"--to-destination 10.234.{_tag}.5:8080", rules);
            Assert.Equal("1", File.ReadAllText($"/proc/sys/net/ipv4/conf/{n.NetworkInterface}/route_localnet").Trim());
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (int i = 0; i < 50 && body == null; i++)
            {
                try { body = await http.GetStringAsync($"http://127.0.0.1:{port}/"); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(100); }
            }
            Assert.Equal("hello-bridge\n", body);
        }
        finally { httpd.Kill(); httpd.WaitForExit(); }
        _driver.Teardown(c.Json);
        var after = Sh("iptables-save");
        Assert.DoesNotContain(c.Id, after);
        Assert.DoesNotContain($"10.234.{_tag}.", after);
        Assert.False(LinkExists(n.NetworkInterface));
    }

    [MachineFact(Needs.Root)]
    public void TwoNetworks_InOneNamespace_GetEth0AndEth1_EachWithItsDefaultRoute()
    {
        var n1 = Net(subnet: $"10.238.{_tag}.0/24", bridge: _bridge + "a");
        var n2 = Net(subnet: $"10.238.{_tag + 30}.0/24", bridge: _bridge + "b");
        n2.Name += "b";
        _links.Add(_bridge + "a"); _links.Add(_bridge + "b");
        var id = new string('d', 60) + _tag.ToString("x4");
        var netns = Path.Combine(_dir, "two");
        NetnsFile.Create(netns);
        _netns.Add(netns);
        var json = NetavarkDriver.Options(id, "two", [], new[] { (n1, $"10.238.{_tag}.4", Array.Empty<string>(), "eth0"), (n2, $"10.238.{_tag + 30}.4", Array.Empty<string>(), "eth1") });
        _jsons.Add(json);
        _driver.Setup(netns, json);
        var addrs = IpJson(netns, "-4", "addr");
        Assert.Contains(addrs, x => x!["ifname"]!.GetValue<string>() == "eth1" && x["addr_info"]![0]!["local"]!.GetValue<string>() == $"10.238.{_tag + 30}.4");
        var defaults = IpJson(netns, "route").Where(r => r!["dst"]!.GetValue<string>() == "default").Select(r => r!["gateway"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new[] { $"10.238.{_tag}.1", $"10.238.{_tag + 30}.1" }.ToHashSet(), defaults);
        var rules = Sh("iptables-save");
        Assert.Contains($"10.238.{_tag}.0/24", rules);
        Assert.Contains($"10.238.{_tag + 30}.0/24", rules);
        _driver.Teardown(json);
        Assert.False(LinkExists(_bridge + "a"));
        Assert.False(LinkExists(_bridge + "b"));
        Assert.DoesNotContain($"10.238.{_tag}.0/24", Sh("iptables-save"));
        Assert.DoesNotContain($"10.238.{_tag + 30}.0/24", Sh("iptables-save"));
    }

    [MachineFact(Needs.Root)]
    public void Teardown_IsIdempotent_AndNeedsNoNamespace()
    {
        var n = Net(subnet: $"10.235.{_tag}.0/24", bridge: _bridge + "i");
        _links.Add(_bridge + "i");
        var c = Attach(n, $"10.235.{_tag}.7", PortMapping.Parse("127.0.0.1:1:1"));
        _driver.Setup(c.Netns, c.Json);
        NetnsFile.Remove(c.Netns); // lost namespace: the veth pair dies with it
        _driver.Teardown(c.Json);
        _driver.Teardown(c.Json);
        Assert.False(LinkExists(n.NetworkInterface));
        Assert.DoesNotContain(c.Id, Sh("iptables-save"));
        // Never set up at all.
        var d = Attach(n, $"10.235.{_tag}.8");
        _driver.Teardown(d.Json);
        Assert.DoesNotContain($"10.235.{_tag}.", Sh("iptables-save"));
    }

    [MachineFact(Needs.Root)]
    public void Setup_OnANameTakenByAnotherKindOfInterface_FailsAndLeavesNothing()
    {
        var name = _bridge + "x";
        _links.Add(name);
        Sh("ip", "link", "add", name, "type", "veth", "peer", "name", name + "y");
        var n = Net(subnet: $"10.236.{_tag}.0/24", bridge: name);
        var c = Attach(n, $"10.236.{_tag}.9");
        var e = Assert.Throws<PodShellException>(() => _driver.Setup(c.Netns, c.Json));
        Assert.Equal("NetworkSetupFailed", e.ErrorId);
        Assert.Contains("not a bridge", e.Message);
        Assert.False(LinkExists(BridgeDriver.HostVethName(c.Id, n.Name)));
        Assert.DoesNotContain($"10.236.{_tag}.", Sh("iptables-save"));
        Assert.False(File.Exists(Path.Combine(BridgeFirewall.StateDir, $"{c.Id}_{n.Name}.json")));
    }

    [MachineFact(Needs.Root)]
    public void InternalNetwork_HasNoRouteOutAndNoRules()
    {
        var n = Net(@internal: true, subnet: $"10.237.{_tag}.0/24", bridge: _bridge + "n");
        _links.Add(_bridge + "n");
        var c = Attach(n, $"10.237.{_tag}.3");
        _driver.Setup(c.Netns, c.Json);
        Assert.DoesNotContain(IpJson(c.Netns, "route"), r => r!["dst"]!.GetValue<string>() == "default");
        Assert.DoesNotContain($"10.237.{_tag}.", Sh("iptables-save"));
        Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv4/conf/{n.NetworkInterface}/forwarding").Trim());
        _driver.Teardown(c.Json);
        Assert.False(LinkExists(n.NetworkInterface));
    }

    [Fact]
    public void Split_SendsNetworksWithoutDnsHere_AndTheRestToNetavark_PortsWithBoth()
    {
        var plain = Net();
        var dns = Net(dns: true, bridge: "x1", subnet: "10.239.1.0/24");
        var json = NetavarkDriver.Options(new string('b', 64), "c", new[] { PortMapping.Parse("8080:80") },
            new[] { (plain, Prefix + "2", Array.Empty<string>(), "eth0"), (dns, "10.239.1.2", Array.Empty<string>(), "eth1") });
        var (native, netavark) = BridgeDriver.Split(json);
        var a = BridgeDriver.Attachments(native!);
        Assert.Equal(plain.Name, Assert.Single(a).Network);
        Assert.Equal("eth0", a[0].Interface);
        Assert.Equal(8080, Assert.Single(a[0].Ports).HostPort);
        var o = JsonNode.Parse(netavark!)!;
        Assert.Equal(new[] { dns.Name }, o["networks"]!.AsObject().Select(kv => kv.Key));
        Assert.Single(o["port_mappings"]!.AsArray());
        Assert.Equal(new string('b', 64), o["container_id"]!.GetValue<string>());

        // network.json from before this driver (no driver field) stays netavark's, even without DNS.
        var old = JsonNode.Parse(NetavarkDriver.Options("c", "c", [], new[] { (plain, "1.2.3.4", Array.Empty<string>(), "eth0") }))!;
        old["network_info"]![plain.Name]!.AsObject().Remove(BridgeDriver.DriverField);
        Assert.Null(BridgeDriver.Split(old.ToJsonString()).Native);
        Assert.NotNull(BridgeDriver.Split(old.ToJsonString()).Netavark);
        Assert.Null(BridgeDriver.Split(NetavarkDriver.Options("c", "c", [], new[] { (plain, "1.2.3.4", Array.Empty<string>(), "eth0") })).Netavark);
        Assert.Null(BridgeDriver.Split(NetavarkDriver.Options("c", "c", [], new[] { (dns, "1.2.3.4", Array.Empty<string>(), "eth0") })).Native);
    }

    [Fact]
    public void Render_GivesEachSubnetItsRules_WhenTwoStoresHaveANetworkOfTheSameName()
    {
        // The chains are the host's: a second store (another graph root) with its own "podshell" network on another
        // subnet must not lose its rules to the first one's (seen: a leftover 10.88 attachment hid a test run's subnet).
        var one = new BridgeAttachment(new string('a', 64), "podshell", "podshell0", "10.88.0.0/16", "10.88.0.1", false,
            "10.88.0.2", "eth0", "vetha", Array.Empty<PortMapping>());
        var two = new BridgeAttachment(new string('b', 64), "podshell", "pst1", "10.231.187.0/24", "10.231.187.1", false,
            "10.231.187.2", "eth0", "vethb", Array.Empty<PortMapping>());
        var text = BridgeFirewall.Render(new[] { one, two }, Array.Empty<(string, string)>());
        Assert.Contains("-s 10.88.0.0/16 -m comment --comment \"podshell network podshell\" -j ACCEPT", text);
        Assert.Contains("-s 10.231.187.0/24 -m comment --comment \"podshell network podshell\" -j ACCEPT", text);
        Assert.Contains("-s 10.231.187.0/24 ! -d 224.0.0.0/4", text);
    }

    [MachineFact(Needs.Root)]
    public void Render_WritesRangesAndHostAddresses_AndNothingForInternalNetworks()
    {
        var id = new string('c', 64);
        var a = new BridgeAttachment(id, "n1", "br", "10.1.2.0/24", "10.1.2.1", false, "10.1.2.3", "eth0", "vethx",
            new[] { PortMapping.Parse("9000-9002:7000-7002/udp"), PortMapping.Parse("10.0.0.1:80:8080") });
        var i = new BridgeAttachment(id, "n2", "br2", "10.9.9.0/24", "10.9.9.1", true, "10.9.9.3", "eth1", "vethy",
            new[] { PortMapping.Parse("81:81") });
        var text = BridgeFirewall.Render(new[] { a, i }, Array.Empty<(string, string)>());
        Assert.Contains($"-p udp -m udp --dport 9000:9002 -m comment --comment \"podshell network n1 id {id}\" -j DNAT --to-destination 10.1.2.3:7000-7002/9000", text);
        Assert.Contains("-p tcp -m tcp --dport 80 -d 10.0.0.1", text);
        Assert.Contains("-j DNAT --to-destination 10.1.2.3:8080", text);
        Assert.DoesNotContain("10.9.9.", text);
        Assert.DoesNotContain("--dport 81 ", text);
        // The chains are declared, so a restore of this text replaces whatever they held.
        Assert.Contains($":{BridgeFirewall.DnatChain} - [0:0]", text);
        Assert.Contains($":{BridgeFirewall.ForwardChain} - [0:0]", text);
        // iptables-restore accepts it (--test: parsed, not committed).
        var psi = new ProcessStartInfo("iptables-restore") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var x in new[] { "-w", "--noflush", "--test" }) psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(text);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }
}
