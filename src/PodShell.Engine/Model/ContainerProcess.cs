namespace PodShell;

/// <summary>A process in a container's cgroup, read from /proc (podman top).</summary>
public sealed class ContainerProcess
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    /// <summary>The pid on the host.</summary>
    public int Pid { get; set; }
    /// <summary>The pid inside the container's pid namespace (last NSpid field).</summary>
    public int ContainerPid { get; set; }
    public int ParentPid { get; set; }
    public uint Uid { get; set; }
    /// <summary>The user name from the container's /etc/passwd, else the uid.</summary>
    public string User { get; set; } = "";
    /// <summary>CPU time over the process's life, in percent of one CPU (as ps %CPU).</summary>
    public double CpuPercent { get; set; }
    public TimeSpan CpuTime { get; set; }
    /// <summary>Resident memory in bytes.</summary>
    public long MemoryRss { get; set; }
    public DateTime StartTime { get; set; }
    /// <summary>The executable name (comm).</summary>
    public string Name { get; set; } = "";
    public string CommandLine { get; set; } = "";
}
