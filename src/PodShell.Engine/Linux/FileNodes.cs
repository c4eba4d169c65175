using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>Creating inodes .NET has no API for: device nodes, fifos, hard links.</summary>
internal static class FileNodes
{
    public const int S_IFIFO = 0x1000;
    public const int S_IFCHR = 0x2000;
    public const int S_IFBLK = 0x6000;

    public const int ENOTDIR = 20;

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true)]
    private static extern int mknod_(byte[] path, uint mode, ulong dev);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int link_(byte[] oldPath, byte[] newPath);

    /// <summary>glibc's makedev encoding (sys/sysmacros.h), which the kernel's new_encode_dev matches.</summary>
    public static ulong MakeDev(uint major, uint minor)
        => ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
         | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>Returns 0 or the errno.</summary>
    public static int TryMknod(string path, int typeAndMode, uint major, uint minor)
        => mknod_(IO.FileName.ToNative(path), (uint)typeAndMode, MakeDev(major, minor)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void Mknod(string path, int typeAndMode, uint major, uint minor)
    {
        int errno = TryMknod(path, typeAndMode, major, minor);
        if (errno != 0)
            throw new IOException($"mknod({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>link(2) does not follow a symlink at oldPath: the new name links to the symlink itself, as tar expects.</summary>
    public static void Link(string oldPath, string newPath)
    {
        if (link_(IO.FileName.ToNative(oldPath), IO.FileName.ToNative(newPath)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"link({oldPath}, {newPath}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }
}
