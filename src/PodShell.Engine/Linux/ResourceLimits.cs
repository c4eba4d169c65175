using System.ComponentModel;
using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>getrlimit(2) for the calling process.</summary>
internal static class ResourceLimits
{
    public const int RLIMIT_NPROC = 6;
    public const int RLIMIT_NOFILE = 7;

    /// <summary>RLIM_INFINITY is all ones on every 64-bit Linux ABI.</summary>
    public const ulong Infinity = ulong.MaxValue;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    // Own import: Tmds.LibC 0.5.0 does not bind getrlimit (nor struct rlimit).
    [DllImport("libc", SetLastError = true, EntryPoint = "getrlimit")]
    private static extern int getrlimit(int resource, out Rlimit rlim);

    /// <summary>The (soft, hard) limit of <paramref name="resource"/>.</summary>
    public static (ulong Soft, ulong Hard) Get(int resource)
    {
        if (getrlimit(resource, out var lim) != 0)
        {
            throw new Win32Exception(Errno.Last, $"getrlimit({resource}) failed");
        }
        return (lim.rlim_cur, lim.rlim_max);
    }
}
