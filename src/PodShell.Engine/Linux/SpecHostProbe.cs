using System.ComponentModel;
using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>statfs(2) magic checks the spec builder needs about the host's cgroup layout.
/// Tmds.LibC has no statfs binding.</summary>
internal static class SpecHostProbe
{
    /// <summary>CGROUP2_SUPER_MAGIC from linux/magic.h.</summary>
    public const long Cgroup2SuperMagic = 0x63677270;

    // struct statfs is 120 bytes on x86_64 and arm64 with f_type (a long) first; the buffer is
    // oversized so a larger layout on another ABI cannot overrun it.
    [DllImport("libc", SetLastError = true, EntryPoint = "statfs")]
    private static extern unsafe int statfs(string path, byte* buf);

    /// <summary>f_type of the file system holding <paramref name="path"/>.</summary>
    public static unsafe long FileSystemType(string path)
    {
        byte* buf = stackalloc byte[256];
        if (statfs(path, buf) != 0)
        {
            throw new Win32Exception(Marshal.GetLastWin32Error(), $"statfs({path}) failed");
        }
        return *(long*)buf;
    }

    /// <summary>True when /sys/fs/cgroup itself is cgroup2 (pure v2). Hybrid hosts have a tmpfs there
    /// and cgroup2 only at /sys/fs/cgroup/unified, which runc and podman treat as v1.</summary>
    public static bool IsCgroupV2Unified(string mountPoint = "/sys/fs/cgroup")
    {
        try
        {
            return FileSystemType(mountPoint) == Cgroup2SuperMagic;
        }
        catch (Win32Exception)
        {
            return false;
        }
    }
}
