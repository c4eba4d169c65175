using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>statfs(2) f_type of a path, the way runc and crun tell cgroup layouts apart.</summary>
public static class FileSystemMagic
{
    /// <summary>CGROUP2_SUPER_MAGIC from linux/magic.h.</summary>
    public const long Cgroup2 = 0x63677270;
    /// <summary>CGROUP_SUPER_MAGIC (a v1 hierarchy).</summary>
    public const long Cgroup = 0x27e0eb;
    public const long Tmpfs = 0x01021994;
    public const long Overlayfs = 0x794c7630;

    // struct statfs on 64-bit Linux is 120 bytes (f_type first, as a long); 32-bit ABIs are smaller.
    // A generous buffer keeps us independent of the exact layout past f_type.
    private const int StatfsBufferSize = 256;

    // Own import: Tmds.LibC 0.5.0 binds statvfs, which has no f_type, but not statfs.
    [DllImport("libc", SetLastError = true, EntryPoint = "statfs")]
    private static extern unsafe int statfs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);

    /// <summary>The filesystem magic of <paramref name="path"/>, or null when it cannot be stat'ed
    /// (missing, or not reachable).</summary>
    public static unsafe long? Of(string path)
    {
        byte* buf = stackalloc byte[StatfsBufferSize];
        if (statfs(path, buf) != 0)
            return null;
        // f_type is __fsword_t (a C long): nint covers both 32- and 64-bit layouts.
        long magic = *(nint*)buf;
        // Magics are 32-bit values; on 32-bit ABIs a high-bit magic comes back sign-extended.
        return magic & 0xffffffffL;
    }
}
