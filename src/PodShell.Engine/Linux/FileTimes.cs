using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW: .NET's File.SetLastWriteTime follows symlinks, so a layer's
/// symlink mtimes could not be restored and a planted link would redirect the call.</summary>
internal static class FileTimes
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "utimensat", SetLastError = true)]
    private static extern int utimensat_(int dirfd, byte[] path, Timespec[] times, int flags);

    public static void SetNoFollow(string path, DateTimeOffset accessTime, DateTimeOffset modificationTime)
    {
        var times = new[] { ToTimespec(accessTime), ToTimespec(modificationTime) };
        if (utimensat_(AT_FDCWD, IO.FileName.ToNative(path), times, AT_SYMLINK_NOFOLLOW) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"utimensat({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    private static Timespec ToTimespec(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return new Timespec { Seconds = seconds, Nanoseconds = rest * 100 };
    }
}
