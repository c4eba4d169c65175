using System.Text.Json.Nodes;
using PodShell.Engine.Images;

namespace PodShell.Engine.Tests.Inspect;

public sealed class ImageChangesTests
{
    private static JsonObject Config() => JsonNode.Parse("""
        {"config":{"Env":["PATH=/bin","FOO=old"],"Cmd":["sh"],"Labels":{"keep":"1"}},"rootfs":{"type":"layers","diff_ids":[]}}
        """)!.AsObject();

    [Fact]
    public void Apply_SetsEveryWord()
    {
        var c = Config();
        ImageChanges.Apply(c, new[]
        {
            "CMD=cat /newfile", "ENTRYPOINT [\"/bin/tini\",\"--\"]", "ENV=FOO=new", "ENV BAR baz", "LABEL=a=b",
            "EXPOSE=8080", "expose 53/udp", "WORKDIR=/app", "USER=1000:1000", "STOPSIGNAL=SIGINT",
        });
        var cfg = c["config"]!;
        Assert.Equal(new[] { "/bin/sh", "-c", "cat /newfile" }, cfg["Cmd"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(new[] { "/bin/tini", "--" }, cfg["Entrypoint"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(new[] { "PATH=/bin", "FOO=new", "BAR=baz" }, cfg["Env"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("b", cfg["Labels"]!["a"]!.GetValue<string>());
        Assert.Equal("1", cfg["Labels"]!["keep"]!.GetValue<string>());
        Assert.NotNull(cfg["ExposedPorts"]!["8080/tcp"]);
        Assert.NotNull(cfg["ExposedPorts"]!["53/udp"]);
        Assert.Equal("/app", cfg["WorkingDir"]!.GetValue<string>());
        Assert.Equal("1000:1000", cfg["User"]!.GetValue<string>());
        Assert.Equal("SIGINT", cfg["StopSignal"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("RUN=echo")]
    [InlineData("CMD")]
    [InlineData("=x")]
    [InlineData("EXPOSE=http")]
    [InlineData("ENV=noval")]
    [InlineData("CMD=[\"broken\"")]
    public void Apply_RefusesWhatItCannotApply(string change)
    {
        var e = Assert.Throws<PodShellException>(() => ImageChanges.Apply(Config(), new[] { change }));
        Assert.Equal("InvalidChange", e.ErrorId);
    }
}
