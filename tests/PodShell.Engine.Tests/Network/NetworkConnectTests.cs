using PodShell.Engine.Network;

namespace PodShell.Engine.Tests.Network;

/// <summary>ConnectNetwork / DisconnectNetwork on running and stopped containers.</summary>
public sealed class NetworkConnectTests : IClassFixture<NetworkFixture>
{
    private readonly NetworkFixture _f;
    private ContainerEngine Engine => _f.Engine;

    public NetworkConnectTests(NetworkFixture f) => _f = f;

    private static string Unique(string p) => p + "-" + Guid.NewGuid().ToString("N")[..8];

    private Container Run(string name, string? network, params string[] cmd)
    {
        var c = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = name, Network = network, Command = cmd });
        return Engine.StartContainer(c.Id);
    }

    /// <summary>IPv4 addresses per interface inside the container's netns, seen from the host.</summary>
    private Dictionary<string, string> Interfaces(Container c) =>
        NetworkFixture.Run("nsenter", "--net=" + Engine.NetnsPathFor(c.Id), "ip", "-o", "-4", "addr", "show")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(f => f[1], f => f[3].Split('/')[0]);

    private (int Code, string Output) Exec(Container c, params string[] cmd)
    {
        using var s = Engine.Exec(c.Id, cmd);
        var lines = s.ReadOutput(CancellationToken.None).ToList();
        return (s.ExitCode ?? -1, string.Join("\n", lines.Select(l => l.Line)));
    }

    [MachineFact(Needs.Root)]
    public void RunningContainer_ConnectReachesByName_DisconnectRemovesEverything()
    {
        var net = Engine.CreateNetwork(Unique("cn"), $"10.216.{_f.Tag}.0/24");
        var b = Unique("srv");
        Container? server = null, client = null;
        try
        {
            server = Run(b, net.Name, "sh", "-c", "echo page-of-srv > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp");
            client = Run(Unique("cli"), null, "sleep", "300");
            var rulesBefore = NetworkFixture.Run("iptables-save");

            var connected = Engine.ConnectNetwork(net.Name, client.Name, $"10.216.{_f.Tag}.77", new[] { "cli-alias" });
            Assert.Equal(new[] { "podshell", net.Name }, connected.Networks);
            Assert.Equal(2, connected.IPAddresses.Length);
            Assert.Equal($"10.216.{_f.Tag}.77", connected.IPAddresses[1]);
            Assert.Equal(connected.IPAddresses, Engine.GetContainer(client.Id).IPAddresses);
            var ifs = Interfaces(client);
            Assert.Equal(connected.IPAddresses[0], ifs["eth0"]);
            Assert.Equal($"10.216.{_f.Tag}.77", ifs["eth1"]);
            Assert.Contains($"10.216.{_f.Tag}.77", File.ReadAllText(Engine.PathsFor(client.Id).HostsFile));
            Assert.Contains(client.Name, Engine.GetNetwork(net.Name).Containers);

            var fetch = Exec(client, "sh", "-c", $"for i in $(busybox seq 50); do busybox wget -q -O - http://{b}:8080/ && exit 0; busybox sleep 0.2; done; exit 1");
            Assert.Equal(0, fetch.Code);
            Assert.Contains("page-of-srv", fetch.Output);
            // The alias resolves too (aardvark-dns, from the server's side).
            var alias = Exec(server, "sh", "-c", "busybox nslookup cli-alias || true");
            Assert.Contains($"10.216.{_f.Tag}.77", alias.Output);
            Assert.Equal("NetworkAlreadyConnected", Assert.Throws<PodShellException>(() => Engine.ConnectNetwork(net.Name, client.Id)).ErrorId);

            var vethsConnected = Directory.GetDirectories("/sys/class/net/" + net.NetworkInterface + "/brif").Length;
            var after = Engine.DisconnectNetwork(net.Name, client.Name);
            Assert.Equal(new[] { "podshell" }, after.Networks);
            Assert.Single(after.IPAddresses);
            Assert.Equal(new[] { "eth0", "lo" }, Interfaces(client).Keys.OrderBy(k => k));
            Assert.Equal(vethsConnected - 1, Directory.GetDirectories("/sys/class/net/" + net.NetworkInterface + "/brif").Length);
            Assert.DoesNotContain(Engine.NetworkStore.Addresses(), a => a.ContainerId == client.Id && a.Network == net.Name);
            Assert.DoesNotContain($"10.216.{_f.Tag}.77", File.ReadAllText(Engine.PathsFor(client.Id).HostsFile));
            Assert.DoesNotContain($"10.216.{_f.Tag}.77", NetworkFixture.Run("iptables-save"));
            Assert.Equal(rulesBefore.Split('\n').Count(l => l.Contains(client.Id)), NetworkFixture.Run("iptables-save").Split('\n').Count(l => l.Contains(client.Id)));
            Assert.Equal("NetworkNotConnected", Assert.Throws<PodShellException>(() => Engine.DisconnectNetwork(net.Name, client.Id)).ErrorId);
            Assert.Equal(0, Exec(client, "busybox", "true").Code);
        }
        finally
        {
            if (client != null) Engine.RemoveContainer(client.Id, true);
            if (server != null) Engine.RemoveContainer(server.Id, true);
            Engine.RemoveNetwork(net.Name, true);
        }
        Assert.DoesNotContain(client!.Id, NetworkFixture.Run("iptables-save"));
        Assert.DoesNotContain($"10.216.{_f.Tag}.0/24", NetworkFixture.Run("iptables-save"));
        Assert.False(Directory.Exists("/sys/class/net/" + net.NetworkInterface));
        Assert.False(File.Exists(Engine.NetnsPathFor(client.Id)));
    }

    [MachineFact(Needs.Root)]
    public void CreatedContainer_ConnectChangesTheRecord_StartSetsUpBothNetworks_LastDisconnectLeavesLo()
    {
        var net = Engine.CreateNetwork(Unique("cc"), $"10.218.{_f.Tag}.0/24");
        var c = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = Unique("two"), Command = new[] { "sleep", "300" } });
        try
        {
            var rec = Engine.ConnectNetwork(net.Name, c.Id, $"10.218.{_f.Tag}.50");
            Assert.Equal(new[] { "podshell", net.Name }, rec.Networks);
            Assert.Empty(rec.IPAddresses);
            Assert.False(File.Exists(Engine.NetnsPathFor(c.Id)));

            var started = Engine.StartContainer(c.Id);
            Assert.Equal($"10.218.{_f.Tag}.50", started.IPAddresses[1]);
            var ifs = Interfaces(started);
            Assert.Equal($"10.218.{_f.Tag}.50", ifs["eth1"]);
            Engine.StopContainer(c.Id, 0);
            Assert.Empty(Engine.GetContainer(c.Id).IPAddresses);

            Engine.DisconnectNetwork("podshell", c.Id);
            var last = Engine.DisconnectNetwork(net.Name, c.Id);
            Assert.Empty(last.Networks);
            Assert.Equal("bridge", last.Network);
            var alone = Engine.StartContainer(c.Id);
            Assert.Equal(new[] { "lo" }, Interfaces(alone).Keys);
            Assert.Empty(alone.IPAddresses);
            // And it can gain a network again while it runs.
            var again = Engine.ConnectNetwork(net.Name, c.Id);
            Assert.Equal(net.Name, again.Network);
            Assert.StartsWith($"10.218.{_f.Tag}.", Interfaces(again)["eth0"]);
        }
        finally
        {
            Engine.RemoveContainer(c.Id, true);
            Engine.RemoveNetwork(net.Name, true);
        }
        Assert.DoesNotContain(c.Id, NetworkFixture.Run("iptables-save"));
        Assert.DoesNotContain($"10.218.{_f.Tag}.0/24", NetworkFixture.Run("iptables-save"));
        Assert.False(Directory.Exists("/sys/class/net/" + net.NetworkInterface));
        Assert.False(File.Exists(Engine.NetnsPathFor(c.Id)));
    }

    [MachineFact(Needs.Root)]
    public void Refusals_HaveTheirOwnErrorIds()
    {
        var net = Engine.CreateNetwork(Unique("rf"), $"10.219.{_f.Tag}.0/24");
        var none = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = Unique("none"), Network = "none", Command = new[] { "true" } });
        var plain = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = Unique("plain"), Command = new[] { "true" } });
        try
        {
            string Err(Action a) => Assert.Throws<PodShellException>(a).ErrorId;
            Assert.Equal("NetworkNotFound", Err(() => Engine.ConnectNetwork("no-such-net-" + _f.Tag, plain.Id)));
            Assert.Equal("ContainerNotFound", Err(() => Engine.ConnectNetwork(net.Name, "no-such-container-" + _f.Tag)));
            Assert.Equal("NetworkModeNotConnectable", Err(() => Engine.ConnectNetwork(net.Name, none.Id)));
            Assert.Equal("NetworkModeNotConnectable", Err(() => Engine.ConnectNetwork("host", plain.Id)));
            Assert.Equal("NetworkModeNotConnectable", Err(() => Engine.DisconnectNetwork("none", plain.Id)));
            Assert.Equal("InvalidIPAddress", Err(() => Engine.ConnectNetwork(net.Name, plain.Id, "10.1.2.3")));
            Assert.Equal("InvalidIPAddress", Err(() => Engine.ConnectNetwork(net.Name, plain.Id, $"10.219.{_f.Tag}.1")));
            Assert.Equal("NetworkNotConnected", Err(() => Engine.DisconnectNetwork(net.Name, plain.Id)));
            Assert.Equal("NetworkNotFound", Err(() => Engine.DisconnectNetwork("no-such-net-" + _f.Tag, plain.Id)));
            Assert.Equal(new[] { "podshell" }, Engine.GetContainer(plain.Id).Networks);
        }
        finally
        {
            Engine.RemoveContainer(none.Id, true);
            Engine.RemoveContainer(plain.Id, true);
            Engine.RemoveNetwork(net.Name, true);
        }
    }

    [Fact]
    public void Allocate_HonoursARequestedAddress_AndRefusesOneInUse()
    {
        var net = Engine.CreateNetwork(Unique("al"), $"10.220.{_f.Tag}.0/28");
        try
        {
            var ip = System.Net.IPAddress.Parse($"10.220.{_f.Tag}.9");
            Assert.Equal(ip, Engine.NetworkStore.Allocate(net, "ctr-a", ip));
            Assert.Equal(ip, Engine.NetworkStore.Allocate(net, "ctr-a"));
            Assert.Equal("IPAddressInUse", Assert.Throws<PodShellException>(() => Engine.NetworkStore.Allocate(net, "ctr-b", ip)).ErrorId);
            Assert.Equal("InvalidIPAddress", Assert.Throws<PodShellException>(() =>
                Engine.NetworkStore.Allocate(net, "ctr-b", System.Net.IPAddress.Parse($"10.220.{_f.Tag}.15"))).ErrorId);
            Engine.NetworkStore.Release("ctr-a", net.Name);
            Assert.Equal(ip, Engine.NetworkStore.Allocate(net, "ctr-b", ip));
        }
        finally { Engine.RemoveNetwork(net.Name, true); }
        Assert.DoesNotContain(Engine.NetworkStore.Addresses(), a => a.Network == net.Name);
    }
}
