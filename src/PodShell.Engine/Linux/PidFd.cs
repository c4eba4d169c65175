using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Signals through a pidfd (pidfd_open(2), pidfd_send_signal(2), Linux 5.3+): the process is pinned by the
/// descriptor before its start time is compared, so a pid reused between the check and the signal cannot be hit.</summary>
public static class PidFd
{
    // Tmds.LibC 0.5.0 has no pidfd functions, so they go through its syscall(2). The generic syscall numbers: the
    // same on every architecture since they were added (5.1 / 5.3).
    private const int SYS_pidfd_send_signal = 424;
    private const int SYS_pidfd_open = 434;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> if it is still the process that started at
    /// <paramref name="startTime"/> (field 22 of /proc/pid/stat). False when it is gone, is another process now, or the
    /// kernel has no pidfds: the caller then takes its slower path.</summary>
    public static bool SignalIfSame(int pid, ulong startTime, int signal)
    {
        if (pid <= 0 || startTime == 0) return false;
        int fd = (int)LibC.syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0) return false;
        try
        {
            if (ProcStat.StartTime(pid) != startTime) return false;
            return (int)LibC.syscall(SYS_pidfd_send_signal, fd, signal, 0, 0) == 0;
        }
        finally { LibC.close(fd); }
    }
}
