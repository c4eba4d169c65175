using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>The local terminal for an interactive session: raw mode (termios), its window size
/// (TIOCGWINSZ) and plain fd reads and writes. Bytes go straight to the fds because .NET's Console
/// would decode and re-encode them, which breaks escape sequences split across reads.</summary>
internal static unsafe class Terminal
{
    [DllImport("libc", SetLastError = true)] private static extern int isatty(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int tcgetattr(int fd, byte* termios);
    [DllImport("libc", SetLastError = true)] private static extern int tcsetattr(int fd, int action, byte* termios);
    [DllImport("libc")] private static extern void cfmakeraw(byte* termios);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, ulong request, ushort* winsize);
    [DllImport("libc", SetLastError = true)] private static extern nint read(int fd, byte* buf, nint count);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, byte* buf, nint count);
    [DllImport("libc", SetLastError = true)] private static extern int poll(PollFd* fds, ulong nfds, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int fd; public short events; public short revents; }

    // glibc's struct termios is 60 bytes on x86_64 and arm64; a larger buffer costs nothing.
    private const int TermiosSize = 128;
    private const int TCSANOW = 0;
    private const ulong TIOCGWINSZ = 0x5413;
    private const short POLLIN = 1;
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary>Switch <paramref name="fd"/> to raw mode (no echo, no line editing, no signal keys:
    /// Ctrl+C and Ctrl+D go to the program in the container) and return the old settings.</summary>
    public static byte[] MakeRaw(int fd)
    {
        var saved = new byte[TermiosSize];
        fixed (byte* p = saved)
        {
            if (tcgetattr(fd, p) != 0) throw new IOException("tcgetattr: " + Errno.Describe(Errno.Last));
            byte* raw = stackalloc byte[TermiosSize];
            Buffer.MemoryCopy(p, raw, TermiosSize, TermiosSize);
            cfmakeraw(raw);
            if (tcsetattr(fd, TCSANOW, raw) != 0) throw new IOException("tcsetattr: " + Errno.Describe(Errno.Last));
        }
        return saved;
    }

    public static void Restore(int fd, byte[] saved)
    {
        fixed (byte* p = saved) tcsetattr(fd, TCSANOW, p);
    }

    /// <summary>Rows and columns, or null when <paramref name="fd"/> is not a terminal.</summary>
    public static (int Rows, int Columns)? WindowSize(int fd)
    {
        ushort* ws = stackalloc ushort[4];
        if (ioctl(fd, TIOCGWINSZ, ws) != 0) return null;
        return (ws[0], ws[1]);
    }

    /// <summary>Wait up to <paramref name="timeoutMs"/> for input, then read once. Returns the byte
    /// count, 0 at end of input, -1 when nothing arrived in time.</summary>
    public static int ReadWithTimeout(int fd, Span<byte> buffer, int timeoutMs)
    {
        var pfd = new PollFd { fd = fd, events = POLLIN };
        int pr = poll(&pfd, 1, timeoutMs);
        if (pr < 0) return Errno.Last == EINTR ? -1 : throw new IOException("poll: " + Errno.Describe(Errno.Last));
        if (pr == 0) return -1;
        fixed (byte* b = buffer)
        {
            nint n = read(fd, b, buffer.Length);
            if (n < 0)
            {
                int e = Errno.Last;
                if (e == EINTR || e == EAGAIN) return -1;
                throw new IOException("read: " + Errno.Describe(e));
            }
            return (int)n;
        }
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            int off = 0;
            while (off < data.Length)
            {
                nint n = write(fd, b + off, data.Length - off);
                if (n < 0)
                {
                    int e = Errno.Last;
                    if (e == EINTR || e == EAGAIN) continue;
                    throw new IOException("write: " + Errno.Describe(e));
                }
                off += (int)n;
            }
        }
    }
}
