using System.Diagnostics;
using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>What a pwsh killed in the middle of Start-Container, Stop-Container or a copy into a stopped container
/// leaves (issue 15's stress campaign), made deterministically: the record as the killed process left it (owner: a
/// dead pid) and the processes and mounts it had made. One engine call must end all of it.</summary>
public sealed class KilledOperationTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public KilledOperationTests(EngineFixture fx) => _fx = fx;

    private static int DeadPid()
    {
        using var p = Process.Start("/bin/sleep", "0")!;
        p.WaitForExit();
        return p.Id;
    }

    private Container NewSleeper(bool autoRemove = false)
    {
        // A first look writes the run root's "alive" marker, as any engine call before a start does; without it the
        // reconcile takes the run root for fresh after a reboot and folds every Starting record to Exited.
        Engine.GetContainers();
        return Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox",
            Name = "killed-" + Guid.NewGuid().ToString("N")[..8],
            Network = "none",
            Command = new[] { "sleep", "1000" },
            AutoRemove = autoRemove,
        });
    }

    private string MemoryCgroupDir(string id) => Machine.MemoryCgroupDirectory("/" + _fx.CgroupParent + "/" + id);

    /// <summary>The record a start killed after its compare-and-set leaves: Starting, owned by a dead process.</summary>
    private void MarkStartingByDeadOwner(string id) =>
        Assert.NotNull(Engine.Store.TryTransition(id, new[] { ContainerState.Created }, ContainerState.Starting, DeadPid(), 1));

    private void AssertEnded(string id, ConmonMonitor.Launch launch)
    {
        // conmon is not our child (it double-forks): give it the moment it needs to go after its container.
        for (int i = 0; i < 100 && ProcStat.IsAlive(launch.ConmonPid, 0); i++) Thread.Sleep(20);
        Assert.False(ProcStat.IsAlive(launch.ContainerPid, 0), "the container's init is left");
        Assert.False(ProcStat.IsAlive(launch.ConmonPid, 0), "its conmon is left");
        Assert.False(Directory.Exists(Path.Combine(Engine.Runtime.StateRoot, id)), "runc still knows the container");
        Assert.False(Directory.Exists(MemoryCgroupDir(id)), "its cgroup is left");
    }

    [MachineFact(Needs.Root)]
    public void StartKilledWhileRuncCreateRuns_IsEndedOnceTheCreateIsDone()
    {
        var c = NewSleeper();
        // A runtime whose create takes 2 s: the reconcile comes while conmon's `runc create` is still running, as it
        // did in the stress run (the old repair's `runc delete` found nothing yet, then the create parked an init).
        var wrapper = Path.Combine(_fx.Root, "slow-runc-" + c.Id[..8]);
        File.WriteAllText(wrapper, $"#!/bin/sh\ncase \" $* \" in *\" create \"*) sleep 2;; esac\nexec {Engine.Runtime.Path} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        MarkStartingByDeadOwner(c.Id);
        var paths = Engine.PathsFor(c.Id);
        var slow = new OciRuntime(Engine.Runtime.Name, wrapper, Engine.Runtime.StateRoot);
        var launching = Task.Run(() => Engine.Conmon.Create(slow, paths, c.Id, c.Name, CancellationToken.None));
        try
        {
            for (int i = 0; i < 250 && !File.Exists(paths.ConmonPidFile); i++) Thread.Sleep(20);
            Assert.True(File.Exists(paths.ConmonPidFile), "conmon did not start");
            Assert.False(File.Exists(paths.PidFile), "the create finished before the reconcile: the test proves nothing");

            Assert.Equal(ContainerState.Created, Engine.GetContainer(c.Id).State);

            var launch = launching.Wait(TimeSpan.FromSeconds(30)) ? launching.Result : throw new TimeoutException("conmon create");
            AssertEnded(c.Id, launch);
            Assert.Equal(ContainerState.Created, Engine.GetContainer(c.Id).State);
            // And the container starts as if the killed start had never been.
            Assert.Equal(ContainerState.Running, Engine.StartContainer(c.Id).State);
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void StartKilledAfterRuncCreate_ParkedInitConmonAndCgroupAreEnded()
    {
        var c = NewSleeper();
        MarkStartingByDeadOwner(c.Id);
        var launch = Engine.Conmon.Create(Engine.Runtime, Engine.PathsFor(c.Id), c.Id, c.Name, CancellationToken.None);
        try
        {
            Assert.True(Directory.Exists(MemoryCgroupDir(c.Id)));
            Assert.Equal("created", Engine.Runtime.State(c.Id));
            var got = Engine.GetContainer(c.Id);
            Assert.Equal(ContainerState.Created, got.State);
            Assert.Equal(0, Engine.Store.GetContainer(c.Id)!.OwnerPid);
            AssertEnded(c.Id, launch);
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void StartKilledAfterTheInitWasReleased_IsKilledAndFoldedToExited()
    {
        var c = NewSleeper();
        MarkStartingByDeadOwner(c.Id);
        var launch = Engine.Conmon.Create(Engine.Runtime, Engine.PathsFor(c.Id), c.Id, c.Name, CancellationToken.None);
        Engine.Runtime.Start(c.Id, launch.ContainerPid, ProcStat.StartTime(launch.ContainerPid));
        try
        {
            Assert.Equal("running", Engine.Runtime.State(c.Id));
            var got = Engine.GetContainer(c.Id);
            // It ran the command: not Created (that would say it never ran); killed by the repair, 128 + SIGKILL.
            Assert.Equal(ContainerState.Exited, got.State);
            Assert.Equal(137, got.ExitCode);
            AssertEnded(c.Id, launch);
            Assert.False(OverlayMount.IsMounted(Path.Combine(Engine.Layers.Root, c.Id, "merged")), "an exited container's rootfs is left mounted");
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void AutoRemoveStartKilledAfterTheInitWasReleased_IsRemoved()
    {
        var c = NewSleeper(autoRemove: true);
        MarkStartingByDeadOwner(c.Id);
        var launch = Engine.Conmon.Create(Engine.Runtime, Engine.PathsFor(c.Id), c.Id, c.Name, CancellationToken.None);
        Engine.Runtime.Start(c.Id, launch.ContainerPid, ProcStat.StartTime(launch.ContainerPid));
        try
        {
            Assert.DoesNotContain(Engine.GetContainers(), x => x.Id == c.Id);
            Assert.Null(Engine.Store.GetContainer(c.Id));
            AssertEnded(c.Id, launch);
            Assert.False(Directory.Exists(Path.Combine(Engine.Layers.Root, c.Id)), "its layer is left");
        }
        finally
        {
            if (Engine.Store.GetContainer(c.Id) != null) Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void ExitedRootfsMountedByAKilledHolder_IsUnmounted_ButNotWhileALiveOneCopies()
    {
        var c = NewSleeper();
        var merged = Path.Combine(Engine.Layers.Root, c.Id, "merged");
        try
        {
            Engine.StartContainer(c.Id);
            c = Engine.StopContainer(c.Id, timeoutSeconds: 0);
            Assert.Equal(ContainerState.Exited, c.State);
            Assert.False(OverlayMount.IsMounted(merged));

            // A copy into the stopped container killed before its unmount: the mount and a hold of a dead process.
            var hold = Engine.HoldRootfs(c);
            Assert.True(OverlayMount.IsMounted(merged));
            File.Move(hold, Path.Combine(Path.GetDirectoryName(hold)!, $"{DeadPid()}-1-killed"));
            Assert.Equal(ContainerState.Exited, Assert.Single(Engine.GetContainers(), x => x.Id == c.Id).State);
            Assert.False(OverlayMount.IsMounted(merged), "the killed copy's mount is left");
            Assert.False(Directory.Exists(Engine.HoldersDir(c.Id)));

            // A live copy (this process) holds it: a reconcile leaves it mounted; its own release unmounts.
            var live = Engine.HoldRootfs(c);
            Engine.GetContainers();
            Assert.True(OverlayMount.IsMounted(merged), "a live copy's mount was taken away");
            Engine.ReleaseRootfs(c.Id, live);
            Assert.False(OverlayMount.IsMounted(merged));
            Assert.False(Directory.Exists(Engine.HoldersDir(c.Id)));
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
    }
}
