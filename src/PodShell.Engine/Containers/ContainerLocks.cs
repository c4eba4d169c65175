using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>The two locks of a container, flock(2) files in the run root's locks/ (released by the kernel when their
/// holder dies): the container lock, held for the whole of a verb (create, start, stop, remove, kill, pause, connect);
/// and the mount lock, held briefly around the rootfs holds, the mount and the unmount, never while taking the
/// container lock.</summary>
internal sealed class ContainerLocks
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dir;

    public ContainerLocks(EngineContext ctx) => _dir = Path.Combine(ctx.Options.RunRoot, "locks");

    public string LockFile(string id) => Path.Combine(_dir, id + ".lock");
    public string MountLockFile(string id) => Path.Combine(_dir, id + ".mount.lock");

    public FileLock Lock(string id, CancellationToken ct = default) => FileLock.Acquire(LockFile(id), Timeout, ct);

    /// <summary>The container lock if no one holds it now, else null: a read that finds a repair to make leaves it to
    /// the holder, who reconciles under the lock before it acts.</summary>
    public FileLock? TryLock(string id)
    {
        try { return FileLock.Acquire(LockFile(id), TimeSpan.Zero); }
        catch (PodShellException e) when (e.ErrorId == ErrorIds.LockTimeout) { return null; }
    }

    public FileLock LockMount(string id) => FileLock.Acquire(MountLockFile(id), Timeout);
}
