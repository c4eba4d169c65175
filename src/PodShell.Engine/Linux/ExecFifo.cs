using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>runc's start, done in-process. A created runc container's init is parked opening
/// <c>&lt;state&gt;/&lt;id&gt;/exec.fifo</c> for writing; `runc start` opens it for reading, reads until end of file
/// (init writes one byte, and its O_CLOEXEC end closes at execve) and unlinks it (runc reports "created" while the
/// fifo exists). That is all `runc start` does when the spec has no hooks (runc 1.1
/// libcontainer/container_linux.go exec), and doing it here saves a runtime process, about 12 ms of every start.
/// The reader is non-blocking so a dead init cannot hang it: a fifo never opened by a writer polls as nothing, and
/// the init's liveness is checked between polls.</summary>
public static class ExecFifo
{
    public enum Outcome { Started, NoFifo, InitDead, TimedOut }

    /// <summary>runc's init names itself "runc:[2:INIT]".</summary>
    public const string InitComm = "runc:[2:INIT]";

    /// <summary>The writer's end closes in execve just before the kernel renames the task (do_close_on_exec, then
    /// __set_task_comm): so end of file can be seen a moment before /proc shows the command. Waiting for the new name
    /// (microseconds, bounded at a second) means a caller that looks at /proc/pid right after the start sees the
    /// container's program, not runc's init.</summary>
    private static void WaitForExec(int pid)
    {
        var until = Environment.TickCount64 + 1000;
        while (ProcStat.Comm(pid) == InitComm && Environment.TickCount64 < until) Thread.Yield();
    }

    /// <summary>Releases the init parked on <paramref name="fifoPath"/> and waits until it has exec'ed the container's
    /// process. NoFifo: there is no fifo to open (another runtime, or already started): use the runtime's start.</summary>
    public static unsafe Outcome Release(string fifoPath, int initPid, ulong initStart, TimeSpan timeout)
    {
        int fd;
        fixed (byte* path = IO.FileName.ToNative(fifoPath))
            fd = LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0) return Outcome.NoFifo;
        try
        {
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            bool gotByte = false;
            var buf = stackalloc byte[16];
            while (true)
            {
                int n = Poll.One(fd, LibC.POLLIN, 50, out short revents);
                if (n < 0 && Errno.Last != LibC.EINTR) return Outcome.InitDead;
                if (n > 0 && (revents & (LibC.POLLIN | LibC.POLLHUP)) != 0)
                {
                    long got = LibC.read(fd, buf, 16);
                    if (got > 0) { gotByte = true; continue; }
                    if (got == 0)
                    {
                        // End of file: the writer has closed its end, at execve when it wrote first.
                        if (!gotByte) return Outcome.InitDead;
                        File.Delete(fifoPath);
                        WaitForExec(initPid);
                        return Outcome.Started;
                    }
                    int errno = Errno.Last;
                    if (errno != LibC.EAGAIN && errno != LibC.EINTR) return Outcome.InitDead;
                }
                if (!gotByte && !ProcStat.IsAlive(initPid, initStart)) return Outcome.InitDead;
                if (Environment.TickCount64 > deadline) return Outcome.TimedOut;
            }
        }
        finally { LibC.close(fd); }
    }
}
