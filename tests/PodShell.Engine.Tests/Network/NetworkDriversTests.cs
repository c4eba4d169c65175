using System.Text.Json.Nodes;
using PodShell.Engine.Network;
using PodShell.Engine.Tests.Layers;
using Xunit;

namespace PodShell.Engine.Tests.Network;

/// <summary>Which network driver an engine has and which network goes to which: chosen once when the engine is
/// made (bridge networks for root, the user-mode network for an ordinary user), and what a user-mode engine
/// then does with -Network, connect and teardown. The engines here are real ones on private roots; none starts
/// a container.</summary>
public sealed class NetworkDriversTests : IDisposable
{
    private readonly TempDir _dir = new("netdrivers");

    public void Dispose() => _dir.Dispose();

    private ContainerEngine NewEngine(bool rootless) =>
        new(new EngineOptions(Path.Combine(_dir.Path, "graph"), Path.Combine(_dir.Path, "run"), "podshell-xunit-unused", rootless));

    private static ContainerNetwork Net(string name, bool dns, string subnet) => new()
    {
        Name = name,
        Id = new string('a', 64),
        Subnet = subnet,
        Gateway = subnet.Replace(".0/24", ".1"),
        NetworkInterface = "psnd" + name,
        DnsEnabled = dns,
    };

    [Fact]
    public void Bridges_GiveNetworksWithoutDnsToTheBridgeDriver_AndTheRestToNetavark_PortsWithBoth()
    {
        var drivers = NetworkDrivers.Bridges(new BridgeDriver(), new NetavarkDriver(_dir.Path));
        Assert.True(drivers.BridgeNetworks);
        Assert.Null(drivers.UserModeNetwork);
        var plain = Net("plain", dns: false, "10.241.1.0/24");
        var dns = Net("named", dns: true, "10.241.2.0/24");
        var ports = new[] { PortMapping.Parse("8080:80") };
        var json = NetavarkDriver.Options(new string('c', 64), "c", ports,
            new[] { (dns, "10.241.2.2", Array.Empty<string>(), "eth0"), (plain, "10.241.1.2", Array.Empty<string>(), "eth1") });

        var parts = drivers.ByDriver(new NetworkAttachment(new string('c', 64), "/nonexistent", ports, json));

        Assert.Equal(new[] { "bridge", "netavark" }, parts.Select(p => p.Driver.Name));
        Assert.IsType<BridgeDriver>(parts[0].Driver);
        Assert.IsType<NetavarkDriver>(parts[1].Driver);
        Assert.Equal(new[] { "plain" }, Networks(parts[0].Part.OptionsJson));
        Assert.Equal(new[] { "named" }, Networks(parts[1].Part.OptionsJson));
        Assert.All(parts, p => Assert.Single(JsonNode.Parse(p.Part.OptionsJson)!["port_mappings"]!.AsArray()));
        Assert.All(parts, p => Assert.Equal("/nonexistent", p.Part.NetnsPath));
    }

    [Fact]
    public void Bridges_LeaveOutADriverWithoutNetworks()
    {
        var drivers = NetworkDrivers.Bridges(new BridgeDriver(), new NetavarkDriver(_dir.Path));
        var json = NetavarkDriver.Options("c", "c", [], new[] { (Net("only", dns: false, "10.241.3.0/24"), "10.241.3.2", Array.Empty<string>(), "eth0") });
        var part = Assert.Single(drivers.ByDriver(new NetworkAttachment("c", "/nonexistent", [], json)));
        Assert.Equal("bridge", part.Driver.Name);
    }

    [Fact]
    public void UserMode_HasNoBridgeNetworks_AndNoNetworkJsonPartsForThem()
    {
        var drivers = NetworkDrivers.UserMode(new UserModeDriver(_dir.Path, new PodShell.Engine.Rootless.UserNamespace(_dir.Path, 1000, 1000, "nobody")));
        Assert.False(drivers.BridgeNetworks);
        Assert.Equal("slirp4netns", drivers.UserModeNetwork!.Name);
        var json = NetavarkDriver.Options("c", "c", [], new[] { (Net("x", dns: false, "10.241.4.0/24"), "10.241.4.2", Array.Empty<string>(), "eth0") });
        Assert.Empty(drivers.ByDriver(new NetworkAttachment("c", "/nonexistent", [], json)));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("bridge", true)]
    [InlineData("default", true)]
    [InlineData("slirp4netns", true)]
    [InlineData("none", false)]
    [InlineData("host", false)]
    [InlineData("mynet", false)]
    [InlineData("container:web", false)]
    public void UserMode_IsWhatTheDefaultSpellingsAndItsNameAskFor(string network, bool userMode) =>
        Assert.Equal(userMode, UserModeDriver.IsRequestedBy(network));

    [MachineFact(Needs.Root)]
    public void TheEngineChoosesOnce_BridgesForRoot_UserModeForAnOrdinaryUser()
    {
        var root = NewEngine(rootless: false);
        Assert.True(root.NetworkService.Drivers.BridgeNetworks);
        Assert.Null(root.NetworkService.Drivers.UserModeNetwork);
        Assert.Same(root.NetworkService, root.NetworkService);

        var user = NewEngine(rootless: true);
        Assert.False(user.NetworkService.Drivers.BridgeNetworks);
        Assert.NotNull(user.NetworkService.Drivers.UserModeNetwork);
    }

    [MachineFact(Needs.Root)]
    public void UserModeEngine_PutsContainersOnTheUserModeNetwork_AndRefusesBridgeNetworks()
    {
        var engine = NewEngine(rootless: true);
        var c = new Container();
        engine.NetworkService.ApplyNetworkOptions(new CreateOptions { Publish = ["8080:80"] }, c);
        Assert.Equal("slirp4netns", c.Network);
        Assert.Empty(c.Networks);
        Assert.Equal(new[] { PortMapping.Parse("8080:80").ToString() }, c.Ports);

        var none = new Container();
        engine.NetworkService.ApplyNetworkOptions(new CreateOptions { Network = "none" }, none);
        Assert.Equal("none", none.Network);

        Assert.Equal("NetworkNotSupportedRootless", Assert.Throws<PodShellException>(() =>
            engine.NetworkService.ApplyNetworkOptions(new CreateOptions { Network = "mynet" }, new Container())).ErrorId);
        Assert.Equal("PublishNeedsNetwork", Assert.Throws<PodShellException>(() =>
            engine.NetworkService.ApplyNetworkOptions(new CreateOptions { Network = "host", Publish = ["8080:80"] }, new Container())).ErrorId);
        Assert.Equal("NetworkNotSupportedRootless", Assert.Throws<PodShellException>(() => engine.ConnectNetwork("mynet", "web")).ErrorId);
        Assert.Equal("NetworkNotSupportedRootless", Assert.Throws<PodShellException>(() => engine.DisconnectNetwork("mynet", "web")).ErrorId);
    }

    [MachineFact(Needs.Root)]
    public void UserModeEngine_TeardownRemovesTheSlirpStateAndTheNamespaceFile()
    {
        var engine = NewEngine(rootless: true);
        var id = new string('d', 64);
        var netns = engine.NetnsPathFor(id);
        Directory.CreateDirectory(Path.GetDirectoryName(netns)!);
        File.WriteAllBytes(netns, []);
        var state = Path.Combine(_dir.Path, "run", "slirp", id[..12]);
        Directory.CreateDirectory(state);

        engine.NetworkService.TeardownNetwork(id);

        Assert.False(File.Exists(netns));
        Assert.False(Directory.Exists(state));
        engine.NetworkService.TeardownNetwork(id); // idempotent
    }

    private static string[] Networks(string json) => JsonNode.Parse(json)!["networks"]!.AsObject().Select(kv => kv.Key).ToArray();
}
