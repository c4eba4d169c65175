using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>sysconf(3) values /proc figures are expressed in.</summary>
public static class SystemConfig
{
    private const int _SC_CLK_TCK = 2;

    [DllImport("libc", SetLastError = true)] private static extern long sysconf(int name);

    private static long? _ticks;

    /// <summary>USER_HZ: the unit of utime, stime and starttime in /proc/&lt;pid&gt;/stat (100 on every Linux ABI).</summary>
    public static long ClockTicks => _ticks ??= sysconf(_SC_CLK_TCK) is > 0 and var t ? t : 100;
}
