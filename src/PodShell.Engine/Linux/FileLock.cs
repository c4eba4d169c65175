using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>An flock(2) on a lock file: held across processes (several pwsh sessions share one store),
/// released by the kernel if the holder dies, so a killed pwsh never leaves a stale lock.
/// The fd is opened with open(2), not FileStream: .NET takes its own flock(LOCK_SH) on FileStreams,
/// which would make a second process's open fail while we hold LOCK_EX.</summary>
public sealed unsafe class FileLock : IDisposable
{
    // Own import: Tmds.LibC 0.5.0 does not bind flock (only fcntl's record locks).
    [DllImport("libc", SetLastError = true)] private static extern int flock(int fd, int operation);
    private const int LOCK_EX = 2, LOCK_NB = 4;

    private int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Acquire(string path, TimeSpan timeout, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int fd;
        fixed (byte* p = IO.FileName.ToNative(path))
            fd = LibC.open(p, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0)
            throw new PodShellException(ErrorIds.LockFailed, FailureKind.PermissionDenied, $"Cannot open lock file {path}: {Errno.Describe(Errno.Last)}", path);
        var deadline = DateTime.UtcNow + timeout;
        while (flock(fd, LOCK_EX | LOCK_NB) != 0)
        {
            if (DateTime.UtcNow > deadline || ct.IsCancellationRequested)
            {
                LibC.close(fd);
                ct.ThrowIfCancellationRequested();
                throw new PodShellException(ErrorIds.LockTimeout, FailureKind.ResourceBusy, $"Timed out waiting for the lock {path}; another PodShell process is working on the same object.", path);
            }
            Thread.Sleep(10);
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0) { LibC.close(_fd); _fd = -1; }
    }
}
