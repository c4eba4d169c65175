using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>utimensat(2) with AT_SYMLINK_NOFOLLOW: .NET's File.SetLastWriteTime follows symlinks, so a layer's
/// symlink mtimes could not be restored and a planted link would redirect the call.</summary>
internal static unsafe class FileTimes
{
    public static void SetNoFollow(string path, DateTimeOffset accessTime, DateTimeOffset modificationTime)
    {
        timespec* times = stackalloc timespec[2];
        times[0] = ToTimespec(accessTime);
        times[1] = ToTimespec(modificationTime);
        fixed (byte* p = IO.FileName.ToNative(path))
        {
            if (LibC.utimensat(LibC.AT_FDCWD, p, times, LibC.AT_SYMLINK_NOFOLLOW) != 0)
            {
                int errno = Errno.Last;
                throw new IOException($"utimensat({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }

    /// <summary>A point in time as struct timespec (seconds since the epoch, floored, and nanoseconds).</summary>
    internal static timespec ToTimespec(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return new timespec { tv_sec = seconds, tv_nsec = (long_t)(rest * 100) };
    }
}
