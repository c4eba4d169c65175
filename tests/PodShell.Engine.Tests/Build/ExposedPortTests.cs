using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

public sealed class ExposedPortTests
{
    [Theory]
    [InlineData("80", "80/tcp")]
    [InlineData("53/UDP", "53/udp")]
    [InlineData("8000-8010/tcp", "8000-8010/tcp")]
    [InlineData("9/sctp", "9/sctp")]
    public void Normalizes_to_config_keys(string word, string expected)
    {
        Assert.True(ExposedPort.TryNormalize(word, out var port));
        Assert.Equal(expected, port);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("80/icmp")]
    [InlineData("70000")]
    [InlineData("90-80")]
    [InlineData("")]
    public void Refuses_what_is_not_a_port(string word) => Assert.False(ExposedPort.TryNormalize(word, out _));
}
