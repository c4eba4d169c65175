using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Creating inodes .NET has no API for: device nodes, fifos, hard links.</summary>
internal static unsafe class FileNodes
{
    public const int S_IFIFO = 0x1000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFBLK = 0x6000;

    public const int ENOTDIR = 20;

    /// <summary>glibc's makedev encoding (sys/sysmacros.h), which the kernel's new_encode_dev matches.</summary>
    public static ulong MakeDev(uint major, uint minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
         | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>Returns 0 or the errno.</summary>
    public static int TryMknod(string path, int typeAndMode, uint major, uint minor)
    {
        fixed (byte* p = IO.FileName.ToNative(path))
            return LibC.mknod(p, (ushort)typeAndMode, MakeDev(major, minor)) == 0 ? 0 : Errno.Last;
    }

    public static void Mknod(string path, int typeAndMode, uint major, uint minor)
    {
        int errno = TryMknod(path, typeAndMode, major, minor);
        if (errno != 0)
            throw new IOException($"mknod({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>link(2) does not follow a symlink at oldPath: the new name links to the symlink itself, as tar expects.</summary>
    public static void Link(string oldPath, string newPath)
    {
        fixed (byte* o = IO.FileName.ToNative(oldPath))
        fixed (byte* n = IO.FileName.ToNative(newPath))
        {
            if (LibC.link(o, n) != 0)
            {
                int errno = Errno.Last;
                throw new IOException($"link({oldPath}, {newPath}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }
}
