using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Network;
using PodShell.Engine.Tests.EngineFacade;

using static PodShell.Engine.Tests.Network.NetworkTestSupport;

namespace PodShell.Engine.Tests.Network;

/// <summary>An engine whose default network is private to this fixture (own subnet and bridge).</summary>
public sealed class NetworkFixture : IDisposable
{
    public EngineFixture Inner { get; } = new();
    public ContainerEngine Engine => Inner.Engine;
    public int Tag { get; } = Random.Shared.Next(1, 250);
    public string Bridge { get; }

    public NetworkFixture()
    {
        Bridge = $"psxt{Environment.ProcessId % 10000}{Tag}";
        Engine.DefaultSubnet = $"10.214.{Tag}.0/24";
        Engine.DefaultBridge = Bridge;
    }

    public void Dispose()
    {
        Inner.Dispose();
        // A bridge outlives its last container in netavark 1.4 only on failure; a test failure must not leak one.
        if (Directory.Exists("/sys/class/net/" + Bridge)) Run("ip", "link", "del", Bridge);
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return o;
    }
}

public sealed class NetworkEngineTests : IClassFixture<NetworkFixture>
{
    private readonly NetworkFixture _f;
    private ContainerEngine Engine => _f.Engine;

    public NetworkEngineTests(NetworkFixture f) => _f = f;

    private static string Unique(string p) => p + "-" + Guid.NewGuid().ToString("N")[..8];

    private Container Run(string name, string? network, params string[] cmd) => Run(name, network, null, cmd);

    private Container Run(string name, string? network, string[]? publish, params string[] cmd)
    {
        var c = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = name, Network = network, Publish = publish, Command = cmd });
        return Engine.StartContainer(c.Id);
    }

    private string Logs(Container c) => string.Join("\n", Engine.GetLogs(c.Id).Select(l => l.Line));


    private void AssertNoNetworkTrace(Container c)
    {
        Assert.False(File.Exists(Engine.NetnsPathFor(c.Id)), "netns file left");
        var rules = NetworkFixture.Run("iptables-save");
        Assert.DoesNotContain(c.Id, rules);
        foreach (var ip in c.IPAddresses) Assert.DoesNotContain(ip + "/", rules.Replace(_f.Engine.DefaultSubnet, ""));
        Assert.DoesNotContain(Engine.NetworkStore.Addresses(), a => a.ContainerId == c.Id);
    }

    [MachineFact(Needs.Root)]
    public void NetworkNone_HasOnlyLoopback()
    {
        var c = Run(Unique("none"), "none", "busybox", "ip", "-o", "link");
        try
        {
            Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
            var links = Logs(c).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(links);
            Assert.Contains(": lo:", links[0]);
            Assert.Empty(Engine.GetContainer(c.Id).Networks);
        }
        finally { Engine.RemoveContainer(c.Id, true); }
    }

    [MachineFact(Needs.Root)]
    public void DefaultBridge_PublishedPortAnswersOnLoopback_AndTeardownIsComplete()
    {
        var rulesBefore = NetworkFixture.Run("iptables-save").Split('\n').Where(l => !l.StartsWith('#')).ToHashSet();
        int port = FreePort();
        var c = Run(Unique("web"), null, new[] { $"127.0.0.1:{port}:8080" },
            "sh", "-c", "echo hello-from-web > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp");
        try
        {
            Assert.Equal(new[] { "podshell" }, c.Networks);
            Assert.StartsWith($"10.214.{_f.Tag}.", c.IPAddress);
            Assert.Equal(new[] { $"127.0.0.1:{port}:8080/tcp" }, c.Ports);
            Assert.True(NetnsFile.Exists(Engine.NetnsPathFor(c.Id)));
            Assert.Contains(c.Id, NetworkFixture.Run("iptables-save"));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (int i = 0; i < 100 && body == null; i++)
            {
                try
                {
                    using var resp = http.Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/"));
                    body = new StreamReader(resp.Content.ReadAsStream()).ReadToEnd();
                }
                catch (HttpRequestException) { Thread.Sleep(100); }
            }
            Assert.Equal("hello-from-web\n", body);
        }
        finally { Engine.RemoveContainer(c.Id, true); }
        AssertNoNetworkTrace(c);
        var rulesAfter = NetworkFixture.Run("iptables-save").Split('\n').Where(l => !l.StartsWith('#')).ToHashSet();
        // Only netavark's shared chains (the same for every network) may have appeared. Other test
        // classes run at the same time with their own 10.214.x subnets, so only this fixture's counts.
        Assert.All(rulesAfter.Except(rulesBefore), l => Assert.DoesNotContain($"10.214.{_f.Tag}.0/24", l));
        Assert.False(Directory.Exists("/sys/class/net/" + _f.Bridge), "bridge left behind");
    }

    [MachineFact(Needs.Root)]
    public void UserNetwork_ContainersReachEachOtherByName()
    {
        var net = Engine.CreateNetwork(Unique("net"), $"10.215.{_f.Tag}.0/24");
        var b = Unique("b");
        Container? server = null, client = null;
        try
        {
            Assert.Equal($"10.215.{_f.Tag}.1", net.Gateway);
            Assert.True(net.DnsEnabled);
            server = Run(b, net.Name, "sh", "-c", "echo page-of-b > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp");
            client = Run(Unique("a"), net.Name, "sh", "-c",
                $"for i in $(busybox seq 50); do busybox wget -q -O - http://{b}:8080/ && exit 0; busybox sleep 0.2; done; exit 1");
            Assert.Equal(0, Engine.WaitContainer(client.Id, TimeSpan.FromSeconds(60)));
            Assert.Contains("page-of-b", Logs(client));
            Assert.Equal("NetworkInUse", Assert.Throws<PodShellException>(() => Engine.RemoveNetwork(net.Name, false)).ErrorId);
            Assert.Contains(b, Engine.GetNetwork(net.Name).Containers);
        }
        finally
        {
            if (client != null) Engine.RemoveContainer(client.Id, true);
            if (server != null) Engine.RemoveContainer(server.Id, true);
            Engine.RemoveNetwork(net.Name, true);
        }
        Assert.DoesNotContain(Engine.GetNetworks(), n => n.Name == net.Name);
        Assert.False(Directory.Exists("/sys/class/net/" + net.NetworkInterface));
        AssertNoNetworkTrace(server!);
    }

    [MachineFact(Needs.Root)]
    public void ContainerMode_SharesOneNetNamespace()
    {
        var a = Run(Unique("pod"), null, "sleep", "300");
        Container? b = null;
        try
        {
            b = Run(Unique("side"), "container:" + a.Name, "sleep", "300");
            Assert.Equal("container:" + a.Id, b.Network);
            string Net(int pid) => new FileInfo($"/proc/{pid}/ns/net").LinkTarget!;
            Assert.Equal(Net(a.Pid), Net(b.Pid));
            Assert.NotEqual(Net(Environment.ProcessId), Net(a.Pid));
        }
        finally
        {
            if (b != null) Engine.RemoveContainer(b.Id, true);
            Engine.RemoveContainer(a.Id, true);
        }
    }

    [MachineFact(Needs.Root)]
    public void PortInUse_IsRefusedAtStart_AndNothingIsLeft()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try
        {
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            var c = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = Unique("busy"), Publish = new[] { $"127.0.0.1:{port}:80" }, Command = new[] { "sleep", "300" } });
            try
            {
                Assert.Equal("PortInUse", Assert.Throws<PodShellException>(() => Engine.StartContainer(c.Id)).ErrorId);
                Assert.Equal(ContainerState.Created, Engine.GetContainer(c.Id).State);
                AssertNoNetworkTrace(c);
            }
            finally { Engine.RemoveContainer(c.Id, true); }
        }
        finally { l.Stop(); }
    }

    [MachineFact(Needs.Root)]
    public void KilledMidStart_NextCallTearsTheNetworkDown()
    {
        var c = Run(Unique("killed"), null, "sleep", "300");
        var netns = Engine.NetnsPathFor(c.Id);
        Assert.True(NetnsFile.Exists(netns));
        // As if the pwsh that was starting it died after netavark setup: a Starting record, dead owner.
        var dead = Process.Start("true")!;
        dead.WaitForExit();
        var r = Engine.Store.GetContainer(c.Id)!;
        ProcStat.Signal(c.Pid, 9);
        r.Container.State = ContainerState.Starting;
        r.OwnerPid = dead.Id;
        r.OwnerStart = 1;
        Engine.Store.UpdateContainer(r);
        try
        {
            // The init had run its command (and was killed): a killed start whose command ran is folded to Exited
            // (docs/design.md, "Crash safety"); either way the network goes.
            Assert.Equal(ContainerState.Exited, Engine.GetContainer(c.Id).State);
            Assert.False(File.Exists(netns));
            Assert.DoesNotContain(c.Id, NetworkFixture.Run("iptables-save"));
        }
        finally { Engine.RemoveContainer(c.Id, true); }
    }
}
