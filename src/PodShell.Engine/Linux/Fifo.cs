using System.Runtime.InteropServices;
using System.Text;

namespace PodShell.Engine.Linux;

/// <summary>Writes one message to a FIFO such as conmon's ctl. O_NONBLOCK so a FIFO nobody reads
/// any more (conmon has exited) fails with ENXIO instead of blocking forever; FileStream would also
/// try to seek, which a FIFO refuses.</summary>
internal static unsafe class Fifo
{
    [DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, byte* buf, nint count);

    private const int O_WRONLY = 1;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;

    /// <summary>False when nobody is reading the FIFO (or it is gone).</summary>
    public static bool TryWrite(string path, string message)
    {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            var bytes = Encoding.ASCII.GetBytes(message);
            fixed (byte* b = bytes) return write(fd, b, bytes.Length) == bytes.Length;
        }
        finally { close(fd); }
    }
}
