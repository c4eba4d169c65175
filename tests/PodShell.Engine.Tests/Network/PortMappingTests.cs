using PodShell.Engine.Network;

namespace PodShell.Engine.Tests.Network;

public sealed class PortMappingTests
{
    [Theory]
    [InlineData("8080:80", "", 8080, 80, 1, "tcp")]
    [InlineData("127.0.0.1:8080:80/udp", "127.0.0.1", 8080, 80, 1, "udp")]
    [InlineData("9000-9002:7000-7002", "", 9000, 7000, 3, "tcp")]
    [InlineData(":8080:80", "", 8080, 80, 1, "tcp")]
    public void Parse_AcceptsPodmanForms(string spec, string ip, int host, int ctr, int range, string proto)
    {
        var p = PortMapping.Parse(spec);
        Assert.Equal(new PortMapping(ip, host, ctr, range, proto), p);
        Assert.Equal(p, PortMapping.Parse(p.ToString()));
    }

    [Theory]
    [InlineData("80")]
    [InlineData("8080:80/sctp")]
    [InlineData("9000-9002:80")]
    [InlineData("notanip:8080:80")]
    [InlineData("70000:80")]
    public void Parse_RefusesBadSpecs(string spec) =>
        Assert.Equal("InvalidPublish", Assert.Throws<PodShellException>(() => PortMapping.Parse(spec)).ErrorId);

    [Theory]
    [InlineData(null, NetworkModeKind.Bridge, "podshell")]
    [InlineData("bridge", NetworkModeKind.Bridge, "podshell")]
    [InlineData("none", NetworkModeKind.None, "")]
    [InlineData("host", NetworkModeKind.Host, "")]
    [InlineData("container:web", NetworkModeKind.Container, "web")]
    [InlineData("mynet", NetworkModeKind.Bridge, "mynet")]
    public void NetworkMode_Parses(string? text, NetworkModeKind kind, string value) =>
        Assert.Equal(new NetworkMode(kind, value), NetworkMode.Parse(text));
}
