using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Containers;

public sealed class EtcFilesTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ResolvConf_DropsLoopbackNameserversOnly()
    {
        var path = _dir.Combine("resolv.conf");
        File.WriteAllText(path, string.Join('\n',
            "# generated",
            "nameserver 127.0.0.1",
            "nameserver 10.0.0.2",
            "nameserver\t127.1.2.3",
            "nameserver ::1",
            "  nameserver 127.0.0.11",
            "nameserver 2001:db8::1",
            "search example.com lab.local",
            "options ndots:2 timeout:1",
            ""));

        var text = EtcFiles.ResolvConf(path);
        var lines = text.Split('\n');

        Assert.EndsWith("\n", text);
        Assert.Equal(new[]
        {
            "# generated",
            "nameserver 10.0.0.2",
            "nameserver 2001:db8::1",
            "search example.com lab.local",
            "options ndots:2 timeout:1",
            "",
        }, lines);
    }

    [Fact]
    public void ResolvConf_MissingFile_IsEmpty()
    {
        Assert.Equal("", EtcFiles.ResolvConf(_dir.Combine("no-such-file")));
    }

    [Fact]
    public void Hosts_NamesTheContainer()
    {
        var text = EtcFiles.Hosts("xunit-lab");
        Assert.Contains("127.0.0.1\tlocalhost", text);
        Assert.Contains("::1\tlocalhost", text);
        Assert.Contains("\txunit-lab\n", text);
        Assert.EndsWith("\n", text);
    }
}
