using PodShell.Engine.Containers;
using PodShell.Engine.Linux;

namespace PodShell.Engine;

/// <summary>The rootfs mount of a container that does not run (docs/design.md, "Crash safety"): whoever mounts it or
/// relies on it outside a run (a copy, an export, the fold of an exit) holds it (<see cref="MountHolders"/>), and the
/// last holder out unmounts it if the container has exited. A holder killed half-way leaves its hold file; the next
/// reconcile of the exited container finds it (one stat), sees its owner dead, and unmounts.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>Serializes the holds, the mount and the unmount of one container's rootfs. Held briefly (never across
    /// the work done on the rootfs), and never while taking the container's own lock.</summary>
    private FileLock LockMount(string id) =>
        FileLock.Acquire(Path.Combine(Options.RunRoot, "locks", id + ".mount.lock"), LockTimeout);

    internal string HoldersDir(string id) => MountHolders.Dir(PathsFor(id).RunDir);

    /// <summary>Holds the rootfs and mounts it when it is not mounted. Returns the hold, for <see cref="ReleaseRootfs"/>.</summary>
    internal string HoldRootfs(Container c)
    {
        using var _ = LockMount(c.Id);
        var hold = MountHolders.Add(HoldersDir(c.Id))!;
        try
        {
            if (!IsRootfsMounted(c.Id))
            {
                var image = GetImages().FirstOrDefault(i => i.Id == c.ImageId);
                MountRootfs(c.Id, (image == null ? null : Enumerable.Reverse(image.Layers))?.ToList() ?? ReadLowerLayers(c.Id));
            }
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
    internal void ReleaseRootfs(string id, string? hold)
    {
        using var _ = LockMount(id);
        if (hold != null) MountHolders.Release(hold);
        var dir = HoldersDir(id);
        if (MountHolders.CountLive(dir) > 0) return;
        // The cleanup of an exit: a failure keeps the directory, so the next reconcile tries again.
        var r = Store.GetContainer(id);
        if (r?.Container is { State: ContainerState.Exited } c)
        {
            ForgetExited(id, c.PidMode);
            if (IsRootfsMounted(id)) UnmountRootfs(id);
        }
        MountHolders.Clear(dir);
        // Removed meanwhile (an -AutoRemove fold): its lock file went with it, and taking the lock made it again.
        if (r is null)
        {
            File.Delete(Path.Combine(Options.RunRoot, "locks", id + ".mount.lock"));
            // A copy that held it while it was removed: the hold's directory was the last thing in the run dir.
            try { Directory.Delete(PathsFor(id).RunDir); } catch (IOException) { }
        }
    }

    /// <summary>Reconcile of an exited container with a hold pending: holds of dead processes (a copy or a stop killed
    /// before its unmount) are dropped, and with no live holder left the rootfs is unmounted.</summary>
    private void ReleaseDeadHolds(string id)
    {
        if (!Directory.Exists(HoldersDir(id))) return;
        try { ReleaseRootfs(id, null); }
        catch (Exception e) when (e is PodShellException or IOException or TimeoutException) { }
    }
}
