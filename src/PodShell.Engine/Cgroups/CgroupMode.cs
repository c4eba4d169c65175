namespace PodShell.Engine.Cgroups;

/// <summary>How cgroups are mounted on the host. Hybrid is v1 controllers under /sys/fs/cgroup plus a
/// cgroup2 tree (usually without controllers) at /sys/fs/cgroup/unified; runc and podman treat it as v1.</summary>
public enum CgroupMode
{
    V1,
    Hybrid,
    V2,
}
