using PodShell.Engine.Linux;

namespace PodShell.Engine.Cgroups;

/// <summary>Which cgroup layout the host has, and the driver for it.</summary>
public static class CgroupHost
{
    public const string DefaultMountRoot = "/sys/fs/cgroup";

    /// <summary>statfs(mountRoot): cgroup2 means V2; tmpfs means V1, or Hybrid when mountRoot/unified is
    /// cgroup2 (the rule of runc's cgroups/utils.go and crun's cgroup-utils.c).</summary>
    public static CgroupMode Detect(string mountRoot = DefaultMountRoot) => Detect(mountRoot, FileSystemMagic.Of);

    /// <summary>Detection with an injected statfs magic provider (path => f_type, null when missing).</summary>
    public static CgroupMode Detect(string mountRoot, Func<string, long?> fsMagic)
    {
        ArgumentNullException.ThrowIfNull(fsMagic);
        var magic = fsMagic(mountRoot);
        if (magic == FileSystemMagic.Cgroup2)
            return CgroupMode.V2;
        if (magic == FileSystemMagic.Tmpfs)
            return fsMagic(Path.Combine(mountRoot, "unified")) == FileSystemMagic.Cgroup2 ? CgroupMode.Hybrid : CgroupMode.V1;
        throw new PodShellException(ErrorIds.CgroupsNotMounted, FailureKind.NotSupported,
            magic is null
                ? $"{mountRoot} does not exist: cgroups are not mounted."
                : $"{mountRoot} is neither cgroup2 nor a tmpfs of v1 hierarchies (statfs magic 0x{magic:x}).",
            mountRoot);
    }

    public static ICgroupDriver CreateDriver(CgroupMode mode, string mountRoot = DefaultMountRoot, string procRoot = "/proc") =>
        mode switch
        {
            CgroupMode.V2 => new CgroupV2Driver(mountRoot, procRoot),
            CgroupMode.V1 => new CgroupV1Driver(mountRoot, procRoot, hybrid: false),
            CgroupMode.Hybrid => new CgroupV1Driver(mountRoot, procRoot, hybrid: true),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
}
