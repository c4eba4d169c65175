using PodShell.Engine.Cgroups;
using PodShell.Engine.Runtime;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Runtime;

/// <summary>OciRuntime.Launcher and ConmonMonitor.Launcher: a rootless engine starts every runtime and conmon
/// command line through its user namespace (nsenter). Here the launchers wrap through /usr/bin/env or replace the
/// program outright, which shows that what they return is what runs.</summary>
public sealed class RootlessLauncherTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    private readonly List<(string File, string[] Args)> _calls = new();

    public void Dispose() => _dir.Dispose();

    private OciRuntime Runc(Func<string, IEnumerable<string>, (string, List<string>)> launch)
    {
        var runtime = OciRuntime.Select(CgroupMode.Hybrid, _dir.Combine("runtime"), "runc");
        runtime.Launcher = (file, args) =>
        {
            var list = args.ToArray();
            _calls.Add((file, list));
            return launch(file, list);
        };
        return runtime;
    }

    private static (string, List<string>) ThroughEnv(string file, IEnumerable<string> args) => ("/usr/bin/env", new[] { file }.Concat(args).ToList());

    private static Func<string, IEnumerable<string>, (string, List<string>)> Shell(string script) =>
        (_, _) => ("/bin/sh", new List<string> { "-c", script });

    [Fact]
    public void State_OfAnUnknownId_GoesThroughTheLauncher_AndIsNull()
    {
        var runtime = Runc(ThroughEnv);
        Assert.Null(runtime.State("xunit-no-such-container"));
        var call = Assert.Single(_calls);
        Assert.Equal(runtime.Path, call.File);
        Assert.Equal(new[] { "--root", runtime.StateRoot, "state", "xunit-no-such-container" }, call.Args);
    }

    [Fact]
    public void EveryRuntimeVerb_GoesThroughTheLauncher()
    {
        var runtime = Runc(ThroughEnv);
        runtime.Delete("xunit-gone");
        Assert.False(runtime.Kill("xunit-gone", 15));
        Assert.False(runtime.Kill("xunit-gone", 9, all: true));
        Assert.Throws<PodShellException>(() => runtime.Start("xunit-gone"));
        Assert.Throws<PodShellException>(() => runtime.Pause("xunit-gone"));
        Assert.Throws<PodShellException>(() => runtime.Resume("xunit-gone"));

        Assert.All(_calls, c => Assert.Equal(runtime.Path, c.File));
        Assert.All(_calls, c => Assert.Equal(new[] { "--root", runtime.StateRoot }, c.Args[..2]));
        Assert.Equal(new[]
        {
            "delete --force xunit-gone",
            "kill xunit-gone 15",
            "kill --all xunit-gone 9",
            "kill xunit-gone 9", // --all needs the container's cgroup; a rootless one on v1 has none
            "start xunit-gone",
            "pause xunit-gone",
            "resume xunit-gone",
        }, _calls.Select(c => string.Join(' ', c.Args[2..])));
    }

    [Fact]
    public void WhatTheLauncherReturns_IsWhatRuns()
    {
        var runtime = Runc(Shell("echo '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"running\"}'"));
        Assert.Equal("running", runtime.State("x"));

        var failing = Runc(Shell("echo 'denied in the namespace' >&2; exit 1"));
        var e = Assert.Throws<PodShellException>(() => failing.Start("x"));
        Assert.Equal("RuntimeStartFailed", e.ErrorId);
        Assert.Contains("denied in the namespace", e.Message);
        Assert.True(Runc(Shell("exit 0")).Kill("x", 15));
    }

    [Fact]
    public void WithoutALauncher_TheRuntimeRunsDirectly()
    {
        var runtime = OciRuntime.Select(CgroupMode.Hybrid, _dir.Combine("runtime"), "runc");
        Assert.Null(runtime.Launcher);
        Assert.Null(runtime.State("xunit-no-such-container"));
        Assert.Empty(_calls);
    }

    // ---- conmon ----------------------------------------------------------------------------------

    private (ConmonMonitor Conmon, OciRuntime Runtime, ContainerPaths Paths) Conmon(string script)
    {
        var conmon = ConmonMonitor.Find();
        conmon.Launcher = (file, args) =>
        {
            _calls.Add((file, args.ToArray()));
            return ("/bin/sh", new List<string> { "-c", script });
        };
        var runtime = OciRuntime.Select(CgroupMode.Hybrid, _dir.Combine("run", "runtime"), "runc");
        var paths = new ContainerPaths(_dir.Combine("graph"), _dir.Combine("run"), "0123456789abcdef");
        Directory.CreateDirectory(paths.BundleDir); // the engine writes config.json there before conmon starts
        return (conmon, runtime, paths);
    }

    [Fact]
    public void Conmon_IsStartedThroughTheLauncher_WithItsArguments()
    {
        var (conmon, runtime, paths) = Conmon("exit 7");
        var e = Assert.Throws<PodShellException>(() => conmon.Create(runtime, paths, paths.Id, "web", CancellationToken.None));
        Assert.Equal("ConmonFailed", e.ErrorId);
        Assert.Contains("code 7", e.Message);

        var call = Assert.Single(_calls);
        Assert.Equal(conmon.Path, call.File);
        Assert.Equal(paths.Id, call.Args[Array.IndexOf(call.Args, "-c") + 1]);
        Assert.Equal(runtime.Path, call.Args[Array.IndexOf(call.Args, "-r") + 1]);
        Assert.Contains("--runtime-arg", call.Args);
        Assert.Contains(runtime.StateRoot, call.Args);
    }

    [Fact]
    public void Conmon_TheLaunchedProgramGetsTheSyncPipe()
    {
        // What conmon does after the runtime's create: the container pid on fd 3 (_OCI_SYNCPIPE).
        var (conmon, runtime, paths) = Conmon("test \"$_OCI_SYNCPIPE\" = 3 && echo '{\"data\": 4242}' >&3");
        var launch = conmon.Create(runtime, paths, paths.Id, "web", CancellationToken.None);
        Assert.Equal(4242, launch.ContainerPid);
        Assert.Equal(0, launch.ConmonPid); // no pid file: nothing pretended
        Assert.Single(_calls);
    }
}
