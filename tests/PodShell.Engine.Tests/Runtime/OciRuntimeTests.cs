using PodShell.Engine.Cgroups;
using PodShell.Engine.Runtime;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Runtime;

public sealed class OciRuntimeTests
{
    [Fact]
    public void Clean_TakesTheMessageOfRuncJsonLines()
    {
        var stderr =
            "{\"level\":\"error\",\"msg\":\"runc run failed: unable to start container process: exec: \\\"nope\\\": executable file not found in $PATH\",\"time\":\"2026-11-29T09:07:25Z\"}\n";
        Assert.Equal("runc run failed: unable to start container process: exec: \"nope\": executable file not found in $PATH",
            OciRuntime.Clean(stderr));
    }

    [Fact]
    public void Clean_JoinsLines_KeepsPlainTextAndBrokenJson()
    {
        var stderr = string.Join('\n',
            "{\"level\":\"warning\",\"msg\":\"first\"}",
            "",
            "plain text line",
            "{not json at all",
            "{\"level\":\"error\",\"no_msg\":1}",
            "");
        Assert.Equal("first; plain text line; {not json at all; {\"level\":\"error\",\"no_msg\":1}", OciRuntime.Clean(stderr));
    }

    [Fact]
    public void Clean_Empty_IsEmpty() => Assert.Equal("", OciRuntime.Clean(""));

    [Fact]
    public void Select_FindsRuncOnThisHybridHost_WithItsOwnStateRoot()
    {
        var r = OciRuntime.Select(CgroupMode.Hybrid, "/tmp/some-root", "runc");
        Assert.Equal("runc", r.Name);
        Assert.True(File.Exists(r.Path));
        Assert.Equal(new[] { "--root", "/tmp/some-root" }, r.GlobalArgs);
    }

    [Fact]
    public void Select_UnknownRuntime_ThrowsRuntimeNotFound()
    {
        var e = Assert.Throws<PodShellException>(() => OciRuntime.Select(CgroupMode.Hybrid, "/tmp/x", "no-such-runtime-xunit"));
        Assert.Equal("RuntimeNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
    }

    [Fact]
    public void FindExecutable_AbsoluteAndByName()
    {
        Assert.Equal("/usr/bin/busybox", OciRuntime.FindExecutable("/usr/bin/busybox"));
        Assert.Null(OciRuntime.FindExecutable("/no/such/file"));
        Assert.NotNull(OciRuntime.FindExecutable("conmon"));
        Assert.Null(OciRuntime.FindExecutable("no-such-program-xunit"));
    }

    [Fact]
    public void RuntimeCommands_OnAnUnknownContainer()
    {
        using var dir = new ScratchDir();
        var r = OciRuntime.Select(CgroupMode.Hybrid, dir.Combine("runtime"), "runc");
        Assert.Null(r.State("xunit-no-such-container"));
        Assert.False(r.Kill("xunit-no-such-container", 15));
        r.Delete("xunit-no-such-container"); // idempotent: nothing to delete is not an error
        var e = Assert.Throws<PodShellException>(() => r.Start("xunit-no-such-container"));
        Assert.Equal("RuntimeStartFailed", e.ErrorId);
    }

    [Fact]
    public void ContainerPaths_PersistentUnderGraph_VolatileUnderRun()
    {
        var p = new ContainerPaths("/g", "/r", "abc");
        Assert.Equal("/g/containers/abc", p.BundleDir);
        Assert.Equal("/g/containers/abc/config.json", p.ConfigFile);
        Assert.Equal("/g/containers/abc/ctr.log", p.LogFile);
        Assert.Equal("/r/containers/abc", p.RunDir);
        Assert.Equal("/r/exits/abc", p.ExitFile);
        Assert.StartsWith("/r/", p.PidFile);
        Assert.StartsWith("/r/", p.HostnameFile);
        Assert.StartsWith("/r/", p.ResolvConfFile);
    }
}
