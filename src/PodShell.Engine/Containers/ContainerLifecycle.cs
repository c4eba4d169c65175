using PodShell.Engine.Bundle;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Containers;

/// <summary>Start, stop and remove: the verbs that take a container through its states, each on an opened
/// <see cref="ContainerHandle"/> (name or id, the lock held, the record reconciled).</summary>
internal sealed class ContainerLifecycle
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerRootfs _rootfs;
    private readonly ContainerCleanup _cleanup;
    private readonly ContainerLocks _locks;
    private readonly BundleWriter _bundle;
    private readonly IContainerNetworking _network;

    public ContainerLifecycle(EngineContext ctx, ContainerHandles handles, ContainerLocks locks, ContainerRootfs rootfs,
        ContainerCleanup cleanup, BundleWriter bundle, IContainerNetworking network)
    {
        _ctx = ctx;
        _handles = handles;
        _locks = locks;
        _rootfs = rootfs;
        _cleanup = cleanup;
        _bundle = bundle;
        _network = network;
    }

    /// <summary>Start a Created (or Exited) container under conmon. Only one process can start a given
    /// container: the transition to Starting is a compare-and-set in the store. With <paramref name="attached"/>
    /// (Invoke-Container reading the output) an -AutoRemove container stays owned by this process after the start,
    /// so that another process folding its exit leaves it (and its log) for this one to remove; the caller ends
    /// the hold with ReleaseAutoRemove, and a killed caller's hold ends with it.</summary>
    public Container Start(string nameOrId, CancellationToken ct = default, bool attached = false)
    {
        using var h = _handles.Open(nameOrId, ct);
        var current = h.Container;
        if (current.State == ContainerState.Running) return current;
        var previous = current.State;
        var r = h.TryTransition(new[] { ContainerState.Created, ContainerState.Exited }, ContainerState.Starting)
            ?? throw new PodShellException(ErrorIds.InvalidContainerState, FailureKind.InvalidState,
                $"Container '{current.Name}' is {current.State} and cannot be started now.", current);
        var c = r.Container;
        var id = c.Id;
        var paths = _ctx.PathsFor(id);
        var runtime = _ctx.Runtime;
        try
        {
            // Under the mount lock: a copy into the exited container that ends now reads Starting, and leaves the mount.
            using (_locks.LockMount(id))
                _rootfs.Mount(id, _rootfs.LowerLayers(c.ImageId));
            // A killed start is undone by the next reconcile, which waits for runc to have written this pid file (its
            // create is done) before it deletes the container: one left from an earlier run must not count.
            if (Directory.Exists(paths.RunDir)) { File.Delete(paths.PidFile); File.Delete(paths.ConmonPidFile); }
            // A leftover from an earlier run would make "create" fail; only look when there is one
            // (a runtime call is about 20 ms of every start).
            if (Directory.Exists(Path.Combine(runtime.StateRoot, id))) runtime.Delete(id);
            // The generated /etc files live on the run root (tmpfs): after a reboot they are gone.
            if (!File.Exists(paths.HostnameFile)) { Directory.CreateDirectory(paths.RunDir); _bundle.Write(c, paths); }
            // A shared namespace may be /proc/<pid>/ns/... of the other container: only valid for this start.
            else if (BundleWriter.SharesNamespaces(c)) _bundle.Write(c, paths);
            _network.Setup(c, paths);
            _ctx.Host.PrepareCgroup();
            var launch = _ctx.Conmon.Create(runtime, paths, id, c.Name, ct, c.LogSizeMax);
            r.PidStart = ProcStat.StartTime(launch.ContainerPid);
            runtime.Start(id, launch.ContainerPid, r.PidStart);
            c.State = ContainerState.Running;
            c.BootId = RunRootRefresh.BootId;
            c.Pid = launch.ContainerPid;
            c.StartedAt = DateTime.UtcNow;
            c.FinishedAt = null;
            c.ExitCode = null;
            c.OomKilled = false;
            r.ConmonPid = launch.ConmonPid;
            bool hold = attached && c.AutoRemove;
            var self = ProcStat.Self();
            r.OwnerPid = hold ? self.Pid : 0;
            r.OwnerStart = hold ? self.Start : 0;
            h.Update(); // Starting is left only by its owner (or the repair of a dead one, under this lock)
            return c;
        }
        catch
        {
            try { runtime.Delete(id); } catch (PodShellException) { }
            try { _network.Teardown(id); } catch (Exception e) when (e is PodShellException or IOException) { }
            c.IPAddresses = Array.Empty<string>();
            c.State = previous;
            c.Pid = 0;
            r.OwnerPid = 0;
            r.OwnerStart = 0;
            h.Update();
            throw;
        }
    }

    /// <summary>Send the stop signal, wait up to <paramref name="timeoutSeconds"/>, then SIGKILL,
    /// as podman stop does. Stopping a container that is not running does nothing.</summary>
    public Container Stop(string nameOrId, int timeoutSeconds = 10, int? signal = null, CancellationToken ct = default)
    {
        using var h = _handles.Open(nameOrId, ct);
        var r = h.Record;
        if (r.Container.State is not (ContainerState.Running or ContainerState.Paused)) return r.Container;
        // A frozen task does not act on signals (not even SIGKILL on cgroup v1) until it is thawed.
        if (r.Container.State == ContainerState.Paused) ThawForStop(h);
        // As podman: a timeout of 0 skips the stop signal and goes straight to SIGKILL.
        if (timeoutSeconds > 0 || signal != null)
        {
            _ctx.Runtime.Kill(h.Id, signal ?? Signals.Parse(r.Container.StopSignal));
            if (WaitForExitFile(r, TimeSpan.FromSeconds(Math.Max(0, timeoutSeconds)), ct))
            {
                h.Refresh();
                return h.Container;
            }
        }
        _ctx.Host.KillAll(r, _ctx.Runtime);
        WaitForExitFile(r, TimeSpan.FromSeconds(10), ct);
        h.Refresh();
        return h.Container;
    }

    /// <summary>Remove a container and everything it owns: runtime state, cgroup, mount, layer, files,
    /// record. A running container needs force (then it is killed first). Every step is idempotent, so a
    /// removal interrupted half-way is finished by the next call.</summary>
    public void Remove(string nameOrId, bool force, CancellationToken ct = default)
    {
        using var h = _handles.Open(nameOrId, ct);
        var r = h.Record;
        if (r.Container.State is ContainerState.Running or ContainerState.Stopping or ContainerState.Paused)
        {
            if (r.Container.State == ContainerState.Paused && force) ThawForStop(h);
            if (!force)
                throw new PodShellException(ErrorIds.ContainerRunning, FailureKind.InvalidState,
                    $"Container '{r.Container.Name}' is running. Stop it first, or use -Force.", r.Container);
            _ctx.Host.KillAll(r, _ctx.Runtime);
            WaitForExitFile(r, TimeSpan.FromSeconds(10), ct);
        }
        r.Container.State = ContainerState.Removing;
        var self = ProcStat.Self();
        r.OwnerPid = self.Pid;
        r.OwnerStart = self.Start;
        h.Update();
        _cleanup.DestroyArtifacts(h.Id);
        _ctx.Store.DeleteContainer(h.Id);
    }

    /// <summary>A frozen container is thawed before it is signalled; Paused becomes Running only if it still is.</summary>
    internal void ThawForStop(ContainerHandle h)
    {
        try { _ctx.Runtime.Resume(h.Id); } catch (PodShellException) { }
        h.Container.State = ContainerState.Running;
        h.TryUpdate(ContainerState.Paused);
    }

    /// <summary>Waits for conmon's exit file. The pids do not change while the caller holds the container's lock, so
    /// they are read once; the check is a stat and two /proc reads, cheap enough to repeat every 5 ms.</summary>
    private bool WaitForExitFile(ContainerRecord r, TimeSpan timeout, CancellationToken ct)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Wait, "exit file");
        var exit = _ctx.PathsFor(r.Container.Id).ExitFile;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(exit)) return true;
            // Without an exit file, a dead init and a dead monitor also mean "exited".
            if (!ProcStat.IsAlive(r.Container.Pid, r.PidStart) && !ProcStat.IsAlive(r.ConmonPid, 0)) return true;
            if (DateTime.UtcNow >= deadline) return false;
            ct.ThrowIfCancellationRequested();
            Thread.Sleep(5);
        }
    }
}
