using PodShell.Engine.Containers;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Containers;

/// <summary>ContainerRun (podman run's orchestration) against real containers under conmon: what a caller of
/// Invoke-Container sees, without PowerShell.</summary>
public sealed class ContainerRunTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public ContainerRunTests(EngineFixture fx) => _fx = fx;

    private static CreateOptions Options(string script, bool autoRemove = false) => new()
    {
        Image = "busybox",
        Name = "run-" + Guid.NewGuid().ToString("N")[..8],
        Command = new[] { "sh", "-c", script },
        AutoRemove = autoRemove,
    };

    private bool Exists(string name) => Engine.GetContainers().Any(c => c.Name == name);

    [MachineFact(Needs.Root)]
    public void Attached_StreamsLinesWithTheirStream_InOrder_AndGivesTheExitCode()
    {
        var o = Options("echo out1; echo err1 >&2; sleep 0.2; echo out2; exit 7");
        using (var run = ContainerRun.StartAttached(Engine, o))
        {
            try
            {
                Assert.Equal(o.Name, run.Container.Name);
                var lines = run.Output().ToList();
                Assert.Equal(new[] { "out1", "out2" }, lines.Where(l => l.Stream == RunStream.Stdout).Select(l => l.Line));
                Assert.Equal(new[] { "err1" }, lines.Where(l => l.Stream == RunStream.Stderr).Select(l => l.Line));
                Assert.Equal("out2", lines[^1].Line);
                Assert.Equal(7, run.Wait());
                Assert.Equal(ContainerState.Exited, Engine.GetContainer(o.Name!).State);
            }
            finally { Engine.RemoveContainer(run.Container.Id, force: true); }
        }
    }

    [MachineFact(Needs.Root)]
    public void AutoRemove_KeepsTheOutputOfAFastContainer_AndRemovesItOnDispose()
    {
        var o = Options("echo hello", autoRemove: true);
        using (var run = ContainerRun.StartAttached(Engine, o))
        {
            Assert.Equal(new[] { new RunOutput(RunStream.Stdout, "hello") }, run.Output().ToList());
            Assert.Equal(0, run.Wait());
        }
        Assert.False(Exists(o.Name!));
    }

    [MachineFact(Needs.Root)]
    public void Cancelling_InterruptsTheContainer_WhichDecidesHowToExit()
    {
        var o = Options("trap 'echo got-int; exit 130' INT; echo ready; while true; do sleep 0.1; done", autoRemove: true);
        using var cts = new CancellationTokenSource();
        string id;
        using (var run = ContainerRun.StartAttached(Engine, o))
        {
            id = run.Container.Id;
            var seen = new List<string>();
            Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                foreach (var line in run.Output(cts.Token))
                {
                    seen.Add(line.Line);
                    if (line.Line == "ready") cts.Cancel();
                }
            });
            Assert.Equal("ready", seen[0]);
            // SIGINT reached the shell's trap: it exits 130 on its own, not killed.
            Assert.Equal(130, Engine.WaitContainer(id, TimeSpan.FromSeconds(30)));
        }
        // Disposed after the exit: the -AutoRemove container is gone.
        Assert.False(Exists(o.Name!));
    }

    [MachineFact(Needs.Root)]
    public void Detached_ReturnsTheRunningContainer()
    {
        var c = ContainerRun.StartDetached(Engine, Options("sleep 30"));
        try
        {
            Assert.Equal(ContainerState.Running, c.State);
            Assert.Equal(ContainerState.Running, Engine.GetContainer(c.Id).State);
        }
        finally { Engine.RemoveContainer(c.Id, force: true); }
    }

    [MachineFact(Needs.Root)]
    public void AutoRemove_AFailedStartLeavesNothing()
    {
        var o = Options("true", autoRemove: true);
        o.Command = new[] { "/no/such/program" };
        Assert.Throws<PodShellException>(() => ContainerRun.StartAttached(Engine, o).Dispose());
        Assert.False(Exists(o.Name!));
    }
}
