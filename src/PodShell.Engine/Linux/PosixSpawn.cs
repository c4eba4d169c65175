using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Starts a program with posix_spawn. System.Diagnostics.Process cannot give a child a chosen
/// fd (conmon's sync pipe must arrive as a number in _OCI_SYNCPIPE) nor stdio on /dev/null, and
/// fork() is unsafe in the multi-threaded .NET runtime; glibc's posix_spawn uses CLONE_VFORK, which is.</summary>
internal static unsafe class PosixSpawn
{
    private const int POSIX_SPAWN_SETSIGMASK = 0x08;
    private const int POSIX_SPAWN_SETSIGDEF = 0x04;
    private const int POSIX_SPAWN_SETSID = 0x80;
    private const int O_RDWR = 2;

    // Own imports: Tmds.LibC 0.5.0 binds neither posix_spawn and its attribute/file-action calls nor waitpid
    // (it has sigemptyset/sigaddset, used below on its sigset_t).
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn_file_actions_init(byte* fa);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn_file_actions_destroy(byte* fa);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn_file_actions_adddup2(byte* fa, int fd, int newfd);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn_file_actions_addopen(byte* fa, int fd, string path, int oflag, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawnattr_init(byte* attr);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawnattr_destroy(byte* attr);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawnattr_setflags(byte* attr, short flags);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawnattr_setsigmask(byte* attr, sigset_t* sigset);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawnattr_setsigdefault(byte* attr, sigset_t* sigset);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn(out int pid, string path, byte* fa, byte* attr, IntPtr[] argv, IntPtr[] envp);
    [DllImport("libc", SetLastError = true)] private static extern int waitpid(int pid, out int status, int options);

    /// <summary>Spawn <paramref name="path"/> with stdin/stdout/stderr on /dev/null and each
    /// (parentFd, childFd) pair dup2'ed into place. Signal mask is cleared and SIGPIPE reset to default,
    /// because .NET ignores SIGPIPE and an ignored disposition survives exec.
    /// <paramref name="newSession"/> puts the child in a session of its own (glibc POSIX_SPAWN_SETSID), for
    /// helpers that must outlive the calling shell: no SIGHUP when its terminal goes, no Ctrl+C from its group.</summary>
    public static int Spawn(string path, IReadOnlyList<string> args, IReadOnlyList<string> env, IReadOnlyList<(int ParentFd, int ChildFd)> fds, bool newSession = false)
    {
        using var counted = Diagnostics.EngineCounters.EnterProcess(path);
        byte* fa = stackalloc byte[256];
        byte* attr = stackalloc byte[512];
        sigset_t signals;
        sigset_t* set = &signals;
        posix_spawn_file_actions_init(fa);
        posix_spawnattr_init(attr);
        var allocated = new List<IntPtr>();
        try
        {
            posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR, 0);
            posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_RDWR, 0);
            posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_RDWR, 0);
            foreach (var (p, c) in fds) posix_spawn_file_actions_adddup2(fa, p, c);
            LibC.sigemptyset(set);
            posix_spawnattr_setsigmask(attr, set);
            LibC.sigaddset(set, LibC.SIGPIPE);
            posix_spawnattr_setsigdefault(attr, set);
            posix_spawnattr_setflags(attr, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? POSIX_SPAWN_SETSID : 0)));

            IntPtr[] ToArray(IEnumerable<string> items)
            {
                var l = new List<IntPtr>();
                foreach (var s in items) { var p = Marshal.StringToCoTaskMemUTF8(s); allocated.Add(p); l.Add(p); }
                l.Add(IntPtr.Zero);
                return l.ToArray();
            }
            var argv = ToArray(new[] { path }.Concat(args));
            var envp = ToArray(env);
            int rc = posix_spawn(out int pid, path, fa, attr, argv, envp);
            if (rc != 0)
                throw new PodShellException(ErrorIds.SpawnFailed, FailureKind.RuntimeFailed, $"Could not start {path}: {Errno.Describe(rc)}", path);
            return pid;
        }
        finally
        {
            foreach (var p in allocated) Marshal.FreeCoTaskMem(p);
            posix_spawnattr_destroy(attr);
            posix_spawn_file_actions_destroy(fa);
        }
    }

    /// <summary>Reap a child we spawned (conmon's first process exits at once after its double fork).
    /// Returns its exit status, or -1 if it was already reaped.</summary>
    public static int Wait(int pid)
    {
        while (true)
        {
            int r = waitpid(pid, out int status, 0);
            if (r == pid) return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            int err = Errno.Last;
            if (r < 0 && err == LibC.EINTR) continue;
            return -1;
        }
    }

    /// <summary>Reap pid if it is a child of ours that has exited; never blocks. False when it is still
    /// running or not our child (ECHILD).</summary>
    public static bool TryReap(int pid) => waitpid(pid, out _, 1 /* WNOHANG */) == pid;
}
