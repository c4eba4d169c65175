namespace PodShell;

/// <summary>One namespace of a container's init process, read from /proc/&lt;pid&gt;/ns.</summary>
public sealed class ContainerNamespace
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    /// <summary>The kernel's name: mnt, uts, ipc, pid, net, cgroup, user, time.</summary>
    public string Type { get; set; } = "";
    public ulong Inode { get; set; }
    /// <summary>/proc/&lt;pid&gt;/ns/&lt;type&gt;.</summary>
    public string Path { get; set; } = "";
    /// <summary>True when the calling process is in the same namespace.</summary>
    public bool SharedWithHost { get; set; }
    /// <summary>The inode of the calling process's namespace of this type.</summary>
    public ulong HostInode { get; set; }
    public int Pid { get; set; }
    /// <summary>For the user namespace: /proc/&lt;pid&gt;/uid_map, one "inside outside count" line per range.</summary>
    public string[] UidMap { get; set; } = Array.Empty<string>();
    /// <summary>For the user namespace: /proc/&lt;pid&gt;/gid_map.</summary>
    public string[] GidMap { get; set; } = Array.Empty<string>();
}
