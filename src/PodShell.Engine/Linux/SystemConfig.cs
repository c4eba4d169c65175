using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>sysconf(3) values /proc figures are expressed in.</summary>
public static class SystemConfig
{
    // Not among Tmds.LibC's constants; the value from glibc's bits/confname.h.
    private const int _SC_CLK_TCK = 2;

    private static long? _ticks;

    /// <summary>USER_HZ: the unit of utime, stime and starttime in /proc/&lt;pid&gt;/stat (100 on every Linux ABI).</summary>
    public static long ClockTicks => _ticks ??= (long)LibC.sysconf(_SC_CLK_TCK) is > 0 and var t ? t : 100;
}
