using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>The run root lives on tmpfs: when its "alive" marker is missing, the machine rebooted (or the run root was
/// wiped) and no container can still be running under it. Each such record is folded to Exited, and any process,
/// mount or cgroup that survived a wipe is cleaned up, so the container can be started again or removed (podman's
/// refresh after reboot, #1703, #22159).</summary>
internal sealed class RunRootRefresh
{
    private readonly EngineContext _ctx;
    private readonly ContainerRootfs _rootfs;
    private readonly IContainerNetworking _network;

    /// <summary>The boot the engine runs under; a container started under another boot is not running.</summary>
    internal static string BootId { get; } = ReadBootId();

    private static string ReadBootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (IOException) { return ""; }
    }

    public RunRootRefresh(EngineContext ctx, ContainerRootfs rootfs, IContainerNetworking network)
    {
        _ctx = ctx;
        _rootfs = rootfs;
        _network = network;
    }

    /// <summary>One stat when the run root is alive; the refresh otherwise, once, under the refresh lock.</summary>
    public void Ensure()
    {
        var runRoot = _ctx.Options.RunRoot;
        var alive = Path.Combine(runRoot, "alive");
        if (File.Exists(alive)) return;
        Directory.CreateDirectory(runRoot);
        using (var _ = FileLock.Acquire(Path.Combine(runRoot, "refresh.lock"), TimeSpan.FromSeconds(60)))
        {
            if (File.Exists(alive)) return;
            foreach (var r in _ctx.Store.ListContainers())
            {
                var c = r.Container;
                if (c.State is not (ContainerState.Running or ContainerState.Paused or ContainerState.Stopping or ContainerState.Starting)) continue;
                // Only a wipe (not a reboot) leaves processes: end the container's init and let its
                // conmon reap it, so no zombie is orphaned; then end a conmon that is still there.
                if (ProcStat.IsAlive(c.Pid, r.PidStart)) ProcStat.Signal(c.Pid, 9);
                for (int i = 0; i < 100 && ProcStat.StartTime(c.Pid) == r.PidStart && r.PidStart != 0; i++) Thread.Sleep(20);
                if (r.ConmonPid > 0 && ProcStat.IsAlive(r.ConmonPid, 0)) ProcStat.Signal(r.ConmonPid, 9);
                try { _rootfs.RemoveCgroup(c.Id); } catch (PodShellException) { }
                try { _rootfs.Unmount(c.Id); } catch (PodShellException) { }
                try { _network.Teardown(c.Id); } catch (PodShellException) { }
                c.State = ContainerState.Exited;
                c.ExitCode ??= -1;
                c.FinishedAt ??= DateTime.UtcNow;
                c.Pid = 0;
                r.OwnerPid = 0;
                r.OwnerStart = 0;
                _ctx.Store.UpdateContainer(r);
            }
            IO.AtomicFile.Write(alive, BootId);
        }
    }
}
