using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>The local terminal for an interactive session: raw mode (termios), its window size
/// (TIOCGWINSZ) and plain fd reads and writes. Bytes go straight to the fds because .NET's Console
/// would decode and re-encode them, which breaks escape sequences split across reads.</summary>
internal static unsafe class Terminal
{
    // Own import: Tmds.LibC 0.5.0 does not bind cfmakeraw (it has tcgetattr/tcsetattr and struct termios).
    [DllImport("libc")] private static extern void cfmakeraw(termios* termios);

    // The saved settings are kept as bytes (callers hold them opaquely); glibc's struct termios is 60 bytes on
    // x86_64 and arm64, a larger buffer costs nothing.
    private const int TermiosSize = 128;

    public static bool IsTerminal(int fd) => LibC.isatty(fd) == 1;

    /// <summary>Switch <paramref name="fd"/> to raw mode (no echo, no line editing, no signal keys:
    /// Ctrl+C and Ctrl+D go to the program in the container) and return the old settings.</summary>
    public static byte[] MakeRaw(int fd)
    {
        var saved = new byte[TermiosSize];
        fixed (byte* p = saved)
        {
            if (LibC.tcgetattr(fd, (termios*)p) != 0) throw new IOException("tcgetattr: " + Errno.Describe(Errno.Last));
            byte* raw = stackalloc byte[TermiosSize];
            Buffer.MemoryCopy(p, raw, TermiosSize, TermiosSize);
            cfmakeraw((termios*)raw);
            if (LibC.tcsetattr(fd, (int)LibC.TCSANOW, (termios*)raw) != 0) throw new IOException("tcsetattr: " + Errno.Describe(Errno.Last));
        }
        return saved;
    }

    public static void Restore(int fd, byte[] saved)
    {
        fixed (byte* p = saved) LibC.tcsetattr(fd, (int)LibC.TCSANOW, (termios*)p);
    }

    /// <summary>Rows and columns, or null when <paramref name="fd"/> is not a terminal.</summary>
    public static (int Rows, int Columns)? WindowSize(int fd)
    {
        winsize ws;
        if (LibC.ioctl(fd, LibC.TIOCGWINSZ, &ws) != 0) return null;
        return (ws.ws_row, ws.ws_col);
    }

    /// <summary>Wait up to <paramref name="timeoutMs"/> for input, then read once. Returns the byte
    /// count, 0 at end of input, -1 when nothing arrived in time.</summary>
    public static int ReadWithTimeout(int fd, Span<byte> buffer, int timeoutMs)
    {
        int pr = Poll.One(fd, LibC.POLLIN, timeoutMs, out _);
        if (pr < 0) return Errno.Last == LibC.EINTR ? -1 : throw new IOException("poll: " + Errno.Describe(Errno.Last));
        if (pr == 0) return -1;
        fixed (byte* b = buffer)
        {
            long n = LibC.read(fd, b, buffer.Length);
            if (n < 0)
            {
                int e = Errno.Last;
                if (e == LibC.EINTR || e == LibC.EAGAIN) return -1;
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
                long n = LibC.write(fd, b + off, data.Length - off);
                if (n < 0)
                {
                    int e = Errno.Last;
                    if (e == LibC.EINTR || e == LibC.EAGAIN) continue;
                    throw new IOException("write: " + Errno.Describe(e));
                }
                off += (int)n;
            }
        }
    }
}
