using PodShell.Engine.Cgroups;
using PodShell.Engine.Hosting;

namespace PodShell.Engine.Tests.Hosting;

/// <summary>Root or rootless is decided once, from the engine's options (Hosting/HostMode.cs).</summary>
public sealed class HostModeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("podshell-xunit-hostmode-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private EngineOptions Options(bool rootless) =>
        new(Path.Combine(_root, "graph"), Path.Combine(_root, "run"), "podshell-xunit-hostmode", rootless);

    [Fact]
    public void RootOptions_GiveTheRootMode_DirectLaunchAndACgroupPerContainer()
    {
        var mode = HostMode.For(Options(rootless: false), CgroupMode.V2, null);
        Assert.IsType<RootHostMode>(mode);
        Assert.False(mode.Rootless);
        Assert.Null(mode.Launcher);
        Assert.Equal("/podshell-xunit-hostmode/abc", mode.CgroupsPathFor("abc"));
        Assert.Equal((true, ""), mode.LimitsEnforcement);
        Assert.True(mode.OwnsCgroup(new Container { Rootless = false }));
        Assert.Null(mode.TarOwners);
        Assert.Equal("/x/merged", mode.View("/x/merged"));
    }

    [Fact]
    public void RootlessOptions_GiveTheRootlessMode_LaunchedInsideTheUserNamespace()
    {
        var ns = new PodShell.Engine.Rootless.UserNamespace(Path.Combine(_root, "run"), 4242, 4242, "someone");
        var mode = HostMode.For(Options(rootless: true), CgroupMode.V1, ns);
        Assert.IsType<RootlessHostMode>(mode);
        Assert.True(mode.Rootless);
        Assert.NotNull(mode.Launcher);
        // cgroup v1 never delegates to a user: no cgroup of its own, and nothing enforced, with the reason.
        Assert.Equal("", mode.CgroupsPathFor("abc"));
        Assert.False(mode.LimitsEnforcement.Enforced);
        Assert.NotEmpty(mode.LimitsEnforcement.Reason);
        Assert.False(mode.OwnsCgroup(new Container { Rootless = true }));
        var cg = new ContainerCgroup();
        mode.MarkUnenforced(cg);
        Assert.False(cg.LimitsEnforced);
    }

    [Fact]
    public void RootlessOptionsWithoutAUserNamespace_AreRefused() =>
        Assert.Throws<ArgumentException>(() => HostMode.For(Options(rootless: true), CgroupMode.V2, null));

    [MachineFact(Needs.Root)]
    public void AnEngineMadeByRoot_HasTheRootMode()
    {
        var root = Directory.CreateTempSubdirectory("podshell-xunit-hostmode-engine-").FullName;
        try
        {
            var engine = new ContainerEngine(new EngineOptions(Path.Combine(root, "graph"), Path.Combine(root, "run"), "podshell-xunit-hostmode"));
            Assert.IsType<RootHostMode>(engine.Context.Host);
            Assert.Null(engine.Runtime.Launcher);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
