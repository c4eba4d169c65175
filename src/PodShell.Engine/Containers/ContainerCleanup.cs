namespace PodShell.Engine.Containers;

/// <summary>Undoes everything a container may have on the host: runtime state, cgroup, network, mount, layer,
/// bundle and run directories, exit and lock files, volume holds. Every step is idempotent and tried even when an
/// earlier one failed, so a removal interrupted half-way is finished by the next call.</summary>
internal sealed class ContainerCleanup
{
    private readonly EngineContext _ctx;
    private readonly ContainerLocks _locks;
    private readonly ContainerRootfs _rootfs;
    private readonly IContainerNetworking _network;
    private readonly IContainerVolumes _volumes;

    public ContainerCleanup(EngineContext ctx, ContainerLocks locks, ContainerRootfs rootfs, IContainerNetworking network, IContainerVolumes volumes)
    {
        _ctx = ctx;
        _locks = locks;
        _rootfs = rootfs;
        _network = network;
        _volumes = volumes;
    }

    /// <summary>Order matters: the runtime goes first (it removes the cgroup), the mount before the layer directory.
    /// <paramref name="exited"/>: the init is known dead in its own PID namespace (<see cref="ContainerRootfs.ForgetExited"/>).</summary>
    public void DestroyArtifacts(string id, bool exited = false)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Cleanup);
        var paths = _ctx.PathsFor(id);
        var runtime = _ctx.Runtime;
        var errors = new List<string>();
        void Try(string step, Action a) { using var t = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Cleanup, step); try { a(); } catch (Exception e) when (e is PodShellException or IOException or UnauthorizedAccessException) { errors.Add(e.Message); } }
        Try("runtime", () => { if (exited) _rootfs.ForgetExited(id, "private"); else if (Directory.Exists(Path.Combine(runtime.StateRoot, id))) runtime.Delete(id); });
        Try("cgroup", () => _rootfs.RemoveCgroup(id));
        Try("network", () => _network.Teardown(id));
        Try("unmount", () => _rootfs.Unmount(id));
        Try("layer", () => _ctx.Layers.Delete(id));
        Try("bundle dir", () => { if (Directory.Exists(paths.BundleDir)) Directory.Delete(paths.BundleDir, true); });
        // Under the mount lock: a fold in another process adds its rootfs hold under it only while the run dir exists.
        Try("run dir", () => { using (_locks.LockMount(id)) if (Directory.Exists(paths.RunDir)) Directory.Delete(paths.RunDir, true); });
        // File.Delete throws when the directory is missing, as exits/ and locks/ are on a fresh run root.
        Try("exit file", () => { if (File.Exists(paths.ExitFile)) File.Delete(paths.ExitFile); });
        Try("lock file", () => { var l = _locks.LockFile(id); if (File.Exists(l)) File.Delete(l); });
        Try("mount lock file", () => { var l = _locks.MountLockFile(id); if (File.Exists(l)) File.Delete(l); });
        Try("volumes", () => _volumes.Release(id));
        if (errors.Count > 0)
            throw new PodShellException(ErrorIds.CleanupIncomplete, FailureKind.ResourceBusy,
                $"Container {id[..12]} could not be cleaned up completely: {string.Join("; ", errors)}", id);
    }
}
