using PodShell.Engine.Layers;

namespace PodShell.Engine.Containers;

/// <summary>A container's root filesystem: the overlay mount (through the host mode), how it is read, and the holds
/// of a container that does not run (docs/design.md, "Crash safety"): whoever mounts it or relies on it outside a run
/// (a copy, an export, the fold of an exit) holds it (<see cref="MountHolders"/>), and the last holder out unmounts
/// it if the container has exited. A holder killed half-way leaves its hold file; the next reconcile of the exited
/// container finds it (one stat), sees its owner dead, and unmounts.</summary>
internal sealed class ContainerRootfs
{
    private readonly EngineContext _ctx;
    private readonly ContainerLocks _locks;
    private readonly IContainerImages _images;

    public ContainerRootfs(EngineContext ctx, ContainerLocks locks, IContainerImages images)
    {
        _ctx = ctx;
        _locks = locks;
        _images = images;
    }

    public string MergedDir(string id) => _ctx.MergedDir(id);

    public bool IsMounted(string id) => _ctx.Host.IsMounted(MergedDir(id));
    public void Unmount(string id) => _ctx.Host.Unmount(MergedDir(id));
    /// <summary>The root filesystem as this process can read it.</summary>
    public string View(string id) => _ctx.Host.View(MergedDir(id));
    public bool IsReadable(string id) => _ctx.Host.IsReadable(MergedDir(id));
    /// <summary>Where /etc/passwd and /etc/group of the container can be read.</summary>
    public string UserFilesView(string id) => _ctx.Host.UserFilesView(MergedDir(id), _ctx.PathsFor(id).RunDir);

    public void Mount(string id, IReadOnlyList<string> lowerTopFirst)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Mount, "overlay");
        if (IsMounted(id)) return;
        var root = Path.Combine(_ctx.Layers.Root, id);
        var lowers = lowerTopFirst.Select(_ctx.Layers.LinkPath).ToList();
        _ctx.Host.MountOverlay(lowers, Path.Combine(root, "diff"), Path.Combine(root, "work"), MergedDir(id));
    }

    /// <summary>The image layers under a container, top first (none when its image is gone).</summary>
    public List<string> LowerLayers(string imageId) =>
        _images.List().FirstOrDefault(i => i.Id == imageId) is { } img ? Enumerable.Reverse(img.Layers).ToList() : new List<string>();

    public string HoldersDir(string id) => MountHolders.Dir(_ctx.PathsFor(id).RunDir);

    /// <summary>Holds the rootfs and mounts it when it is not mounted. Returns the hold, for <see cref="Release"/>.</summary>
    public string Hold(Container c)
    {
        using var _ = _locks.LockMount(c.Id);
        var hold = MountHolders.Add(HoldersDir(c.Id))!;
        try
        {
            if (!IsMounted(c.Id)) Mount(c.Id, LowerLayers(c.ImageId));
            return hold;
        }
        catch
        {
            MountHolders.Release(hold);
            throw;
        }
    }

    /// <summary>Lets go of a hold. The last live holder of an exited container finishes its cleanup (the runtime's
    /// state, the cgroup, the rootfs mount: <see cref="ForgetExited"/>, then the unmount); a container that
    /// runs, starts or is created keeps its mount (the state is read under the mount lock, which a start takes to
    /// mount, so a start and this unmount cannot cross).</summary>
    public void Release(string id, string? hold)
    {
        using var _ = _locks.LockMount(id);
        if (hold != null) MountHolders.Release(hold);
        var dir = HoldersDir(id);
        if (MountHolders.CountLive(dir) > 0) return;
        // The cleanup of an exit: a failure keeps the directory, so the next reconcile tries again.
        var r = _ctx.Store.GetContainer(id);
        if (r?.Container is { State: ContainerState.Exited } c)
        {
            ForgetExited(id, c.PidMode);
            if (IsMounted(id)) Unmount(id);
        }
        MountHolders.Clear(dir);
        // Removed meanwhile (an -AutoRemove fold): its lock file went with it, and taking the lock made it again.
        if (r is null)
        {
            File.Delete(_locks.MountLockFile(id));
            // A copy that held it while it was removed: the hold's directory was the last thing in the run dir.
            try { Directory.Delete(_ctx.PathsFor(id).RunDir); } catch (IOException) { }
        }
    }

    /// <summary>Reconcile of an exited container with a hold pending: holds of dead processes (a copy or a stop killed
    /// before its unmount) are dropped, and with no live holder left the rootfs is unmounted.</summary>
    public void ReleaseDeadHolds(string id)
    {
        if (!Directory.Exists(HoldersDir(id))) return;
        try { Release(id, null); }
        catch (Exception e) when (e is PodShellException or IOException or TimeoutException) { }
    }

    /// <summary>Runs <paramref name="work"/> with the container's root filesystem mounted (it is while the
    /// container runs; a stopped one is mounted for the call and unmounted after). The call holds the mount:
    /// a second copy at the same time keeps it mounted until both are done, and a call killed before its unmount
    /// leaves a hold of a dead process, which the next reconcile ends by unmounting.</summary>
    public T With<T>(Container c, Func<string, T> work)
    {
        var hold = Hold(c);
        try
        {
            return work(View(c.Id));
        }
        finally
        {
            // Another caller may have started the container meanwhile: only an exited container's rootfs is unmounted.
            try { Release(c.Id, hold); } catch (PodShellException) { }
        }
    }

    /// <summary>The runtime forgets an exited container. "runc delete" of a stopped container removes its state
    /// directory and its cgroup, nothing else (no hooks here); with the init dead, and with it the container's own PID
    /// namespace, the engine does both itself and saves a runtime exec, about 20 ms of every run-to-exit. A
    /// container in the host's PID namespace may leave processes in its cgroup: that one goes through the runtime.</summary>
    public void ForgetExited(string id, string pidMode)
    {
        var state = Path.Combine(_ctx.Runtime.StateRoot, id);
        if (!Directory.Exists(state)) return;
        if (pidMode == "host") { _ctx.Runtime.Delete(id); return; }
        // The cgroup first: when its removal fails, the state dir stays and the next cleanup tries again.
        RemoveCgroup(id);
        Directory.Delete(state, recursive: true);
    }

    /// <summary>The container's cgroup, when the host mode gives it one.</summary>
    public void RemoveCgroup(string id)
    {
        if (_ctx.Host.CgroupsPathFor(id) is { Length: > 0 } cg) _ctx.Cgroups.Remove(cg);
    }
}
