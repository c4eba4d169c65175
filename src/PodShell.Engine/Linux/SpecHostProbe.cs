using System.ComponentModel;

namespace PodShell.Engine.Linux;

/// <summary>statfs(2) magic checks the spec builder needs about the host's cgroup layout (the statfs call itself is
/// <see cref="FileSystemMagic"/>'s).</summary>
internal static class SpecHostProbe
{
    /// <summary>CGROUP2_SUPER_MAGIC from linux/magic.h.</summary>
    public const long Cgroup2SuperMagic = FileSystemMagic.Cgroup2;

    /// <summary>f_type of the file system holding <paramref name="path"/>.</summary>
    public static long FileSystemType(string path) =>
        FileSystemMagic.Of(path) ?? throw new Win32Exception(Errno.Last, $"statfs({path}) failed");

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
