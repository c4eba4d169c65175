using System.Text;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Writes one message to a FIFO such as conmon's ctl. O_NONBLOCK so a FIFO nobody reads
/// any more (conmon has exited) fails with ENXIO instead of blocking forever; FileStream would also
/// try to seek, which a FIFO refuses.</summary>
internal static unsafe class Fifo
{
    /// <summary>False when nobody is reading the FIFO (or it is gone).</summary>
    public static bool TryWrite(string path, string message)
    {
        int fd;
        fixed (byte* p = IO.FileName.ToNative(path))
            fd = LibC.open(p, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0) return false;
        try
        {
            var bytes = Encoding.ASCII.GetBytes(message);
            fixed (byte* b = bytes) return LibC.write(fd, b, bytes.Length) == bytes.Length;
        }
        finally { LibC.close(fd); }
    }
}
