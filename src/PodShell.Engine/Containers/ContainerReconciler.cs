using System.Collections.Concurrent;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>Folds what the kernel and conmon know into a container's record (docs/design.md, "Container handle"): an
/// exit file means the container exited; a dead owner of a Creating/Starting/Removing record means a pwsh was killed
/// half-way, and that step is undone or finished here.
/// Two kinds of change, two rules. The fold of an exit and the removal of an exited -AutoRemove container are
/// compare-and-set writes (the record is written only if it is still in the state that was read), so any reader may
/// make them without the container lock: the list of 1,000 containers stays one query. The repair of a killed
/// operation destroys things (mounts, layers, the runtime's state) and is made only under the container lock: a read
/// takes it without waiting, and when another process holds it, leaves the repair to that holder, which reconciles
/// under the lock before it acts.</summary>
internal sealed class ContainerReconciler
{
    private readonly EngineContext _ctx;
    private readonly ContainerLocks _locks;
    private readonly ContainerRootfs _rootfs;
    private readonly ContainerCleanup _cleanup;
    private readonly IContainerNetworking _network;

    /// <summary>The final record of auto-removed containers, so a waiter still learns the exit code.</summary>
    internal static readonly ConcurrentDictionary<string, Container> LastExit = new();

    public ContainerReconciler(EngineContext ctx, ContainerLocks locks, ContainerRootfs rootfs, ContainerCleanup cleanup, IContainerNetworking network)
    {
        _ctx = ctx;
        _locks = locks;
        _rootfs = rootfs;
        _cleanup = cleanup;
        _network = network;
    }

    /// <summary>The record as it now is; null when it no longer exists. <paramref name="locked"/>: the caller holds the
    /// container's lock (a handle), so a repair is made at once.</summary>
    public ContainerRecord? Reconcile(ContainerRecord r, bool locked = false)
    {
        var c = r.Container;
        switch (c.State)
        {
            case ContainerState.Creating or ContainerState.Removing or ContainerState.Starting when !ProcStat.IsAlive(r.OwnerPid, r.OwnerStart):
                return locked ? Repair(r) : RepairUnderLock(r);

            case ContainerState.Running or ContainerState.Stopping or ContainerState.Paused:
                return FoldExit(r);

            case ContainerState.Exited when c.AutoRemove && !ProcStat.IsAlive(r.OwnerPid, r.OwnerStart):
                return RemoveAutoRemoved(r);

            // A hold is pending (one stat): a copy or the fold of its exit may have been killed before the unmount.
            case ContainerState.Exited when Directory.Exists(_rootfs.HoldersDir(c.Id)):
                _rootfs.ReleaseDeadHolds(c.Id);
                return r;

            default:
                return r;
        }
    }

    private ContainerRecord? RepairUnderLock(ContainerRecord r)
    {
        using var held = _locks.TryLock(r.Container.Id);
        if (held is null) return r; // a live process is working on it, and will reconcile under the lock
        // Read again under the lock: the record may have moved on since it was read.
        var now = _ctx.Store.GetContainer(r.Container.Id);
        return now is null ? null : Reconcile(now, locked: true);
    }

    private ContainerRecord? Repair(ContainerRecord r)
    {
        var c = r.Container;
        if (c.State == ContainerState.Starting) return EndKilledStart(r);
        try { _cleanup.DestroyArtifacts(c.Id); } catch (PodShellException) { return r; }
        _ctx.Store.DeleteContainer(c.Id);
        return null;
    }

    private ContainerRecord? FoldExit(ContainerRecord r)
    {
        var c = r.Container;
        var paths = _ctx.PathsFor(c.Id);
        var exitFile = paths.ExitFile;
        // Started under another boot: whatever the pid now names, it is not our container.
        bool otherBoot = c.BootId.Length > 0 && RunRootRefresh.BootId.Length > 0 && c.BootId != RunRootRefresh.BootId;
        bool exited = otherBoot || File.Exists(exitFile)
            || (!ProcStat.IsAlive(c.Pid, r.PidStart) && !ProcStat.IsAlive(r.ConmonPid, 0));
        if (!exited) return r;
        int? code = null;
        DateTime finished = DateTime.UtcNow;
        if (File.Exists(exitFile))
        {
            // conmon writes the status atomically, ASCII digits without a newline.
            if (int.TryParse(File.ReadAllText(exitFile).Trim(), out var parsed)) code = parsed;
            finished = File.GetLastWriteTimeUtc(exitFile);
        }
        c.State = ContainerState.Exited;
        c.ExitCode = code ?? -1;
        c.FinishedAt = finished;
        c.OomKilled = File.Exists(paths.OomFile) || File.Exists(Path.Combine(paths.RunDir, "oom"));
        c.Pid = 0;
        c.IPAddresses = Array.Empty<string>();
        // The fold holds the rootfs until it has unmounted it: a process killed between the record's write
        // and the unmount leaves a hold of a dead process, which the next reconcile of the exited container
        // ends (else an Exited container would keep its rootfs mounted for good).
        string? hold = null;
        try { using (_locks.LockMount(c.Id)) hold = MountHolders.Add(_rootfs.HoldersDir(c.Id), createRunDir: false); }
        catch (Exception e) when (e is PodShellException or IOException) { }
        bool folded = false;
        try
        {
            // The owner columns stay as stored: an attached client may have released its hold since r was read.
            if (!_ctx.Store.UpdateContainerIf(r, keepOwner: true, ContainerState.Running, ContainerState.Stopping, ContainerState.Paused))
                return _ctx.Store.GetContainer(c.Id);
            folded = true;
            // -AutoRemove: whoever folds the exit removes the container, unless the attached client that
            // started it (Invoke-Container) is alive: it still reads the log, and removes it when done.
            if (c.AutoRemove && !ProcStat.IsAlive(r.OwnerPid, r.OwnerStart))
            {
                LastExit[c.Id] = c;
                try { _cleanup.DestroyArtifacts(c.Id, exited: c.PidMode != "host"); _ctx.Store.DeleteContainer(c.Id); return null; }
                catch (PodShellException) { return r; }
            }
            try { _network.Teardown(c.Id); } catch (Exception e) when (e is PodShellException or IOException) { }
            return r;
        }
        finally
        {
            // Podman's cleanup step, done by the last holder out (a copy running now does it when it is done):
            // the runtime forgets the container (and its cgroup) and the rootfs is unmounted until the next start.
            if (hold != null) try { _rootfs.Release(c.Id, hold); } catch (Exception e) when (e is PodShellException or IOException) { }
            // Without a hold (its run dir was gone), only the process whose write folded the exit cleans up: another
            // one may have folded it and started it again since this record was read.
            else if (folded) try { _rootfs.ForgetExited(c.Id, c.PidMode); _rootfs.Unmount(c.Id); } catch (Exception e) when (e is PodShellException or IOException) { }
        }
    }

    /// <summary>An exited -AutoRemove container whose exit was folded while its attached client held it (the client
    /// was then killed, or gave up), or whose removal failed once: removed now. One process wins the move to
    /// Removing; a failure leaves a Removing record that the next call finishes once this process is gone.</summary>
    internal ContainerRecord? RemoveAutoRemoved(ContainerRecord r)
    {
        var c = r.Container;
        var self = ProcStat.Self();
        var claimed = _ctx.Store.TryTransition(c.Id, new[] { ContainerState.Exited }, ContainerState.Removing, self.Pid, self.Start);
        if (claimed is null) return _ctx.Store.GetContainer(c.Id);
        LastExit[c.Id] = c;
        try { _cleanup.DestroyArtifacts(c.Id, exited: c.PidMode != "host"); _ctx.Store.DeleteContainer(c.Id); return null; }
        catch (PodShellException) { return claimed; }
    }

    /// <summary>The attached client of an -AutoRemove run (Invoke-Container) is done with the container: it gives up
    /// its hold, and the container is removed now if it has exited, else by whoever folds its exit. Idempotent: a
    /// container already removed (by another process's fold) is no error.</summary>
    public void ReleaseAutoRemove(string id)
    {
        var self = ProcStat.Self();
        _ctx.Store.ReleaseOwner(id, self.Pid, self.Start);
        if (_ctx.Store.GetContainer(id) is { } r) Reconcile(r);
    }

    /// <summary>A Start-Container killed half-way (docs/design.md, "Crash safety"): its conmon may still be running
    /// `runc create`, or hold a parked init, or a released one. The start never reached the one update that records a
    /// running container (init pid and start time, conmon, addresses), so what it began is ended, not adopted: wait
    /// for a create in flight to finish (runc writes the pid file last), `runc delete --force` (kills the init, removes
    /// the cgroup and the state), let conmon see its container end (or kill it, by pid and start time), remove the
    /// cgroup if the runtime left it. Back to Created when the command never ran; Exited when the init had exec'd it.</summary>
    private ContainerRecord? EndKilledStart(ContainerRecord r)
    {
        var c = r.Container;
        var paths = _ctx.PathsFor(c.Id);
        var conmon = FindConmon(c.Id, paths, r.OwnerStart);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (conmon is { } m && ProcStat.IsAlive(m.Pid, m.Start) && !File.Exists(paths.PidFile) && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        // "created": parked on its exec fifo, the command never ran. "running", "paused", "stopped": it ran.
        var runtimeState = Directory.Exists(Path.Combine(_ctx.Runtime.StateRoot, c.Id)) ? _ctx.Runtime.State(c.Id) : null;
        bool ran = runtimeState is "running" or "paused" or "stopped";
        try { _ctx.Runtime.Delete(c.Id); } catch (PodShellException) { }
        // conmon writes the exit file and exits when its container's init is gone; one that does not is ended.
        if (conmon is { } mon)
        {
            for (int i = 0; i < 250 && ProcStat.IsAlive(mon.Pid, mon.Start); i++) Thread.Sleep(20);
            if (ProcStat.IsAlive(mon.Pid, mon.Start)) PidFd.SignalIfSame(mon.Pid, mon.Start, 9);
        }
        try { _rootfs.RemoveCgroup(c.Id); } catch (PodShellException) { }
        try { _network.Teardown(c.Id); } catch (Exception e) when (e is PodShellException or IOException) { }
        c.IPAddresses = Array.Empty<string>();
        c.Pid = 0;
        r.OwnerPid = 0;
        r.OwnerStart = 0;
        if (ran)
        {
            int? code = null;
            if (File.Exists(paths.ExitFile) && int.TryParse(File.ReadAllText(paths.ExitFile).Trim(), out var parsed)) code = parsed;
            c.State = ContainerState.Exited;
            c.ExitCode = code ?? 137; // killed by the repair before conmon could say: 128 + SIGKILL
            c.FinishedAt = DateTime.UtcNow;
            c.StartedAt ??= c.FinishedAt;
        }
        else
        {
            if (File.Exists(paths.ExitFile)) File.Delete(paths.ExitFile);
            c.State = ContainerState.Created;
        }
        if (!_ctx.Store.UpdateContainerIf(r, ContainerState.Starting)) return _ctx.Store.GetContainer(c.Id);
        // An -AutoRemove container that ran is removed as any fold of its exit would (its client is the dead owner).
        if (ran && c.AutoRemove) return RemoveAutoRemoved(r);
        // An exited container's rootfs is unmounted until its next start, as a fold leaves it; a created one keeps it.
        if (ran) try { _rootfs.Release(c.Id, null); } catch (Exception e) when (e is PodShellException or IOException) { }
        return r;
    }

    /// <summary>The conmon of a container: the pid in its pid file (or, before conmon wrote it, found in /proc), taken
    /// only if that process is a conmon whose command line names the container and which started no earlier than
    /// <paramref name="notBefore"/> (the start time of the pwsh that launched it): a reused pid fails one of these.</summary>
    private static (int Pid, ulong Start)? FindConmon(string id, Runtime.ContainerPaths paths, ulong notBefore)
    {
        bool Ours(int pid, out ulong start)
        {
            start = ProcStat.StartTime(pid);
            if (start == 0 || start < notBefore || ProcStat.Comm(pid) != "conmon") return false;
            try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains(id); }
            catch (IOException) { return false; }
        }
        try
        {
            if (int.TryParse(File.ReadAllText(paths.ConmonPidFile).Trim(), out var pid) && Ours(pid, out var st)) return (pid, st);
        }
        catch (IOException) { }
        // A rare path (a start killed in the few milliseconds before conmon wrote its pid file): a scan of /proc.
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Ours(pid, out var st)) return (pid, st);
        return null;
    }
}
