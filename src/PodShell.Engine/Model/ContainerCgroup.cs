namespace PodShell;

/// <summary>A container's cgroup as the kernel reports it. Every figure is read from cgroupfs.
/// Unlimited values are long.MaxValue (Cpus: +Infinity).</summary>
public sealed class ContainerCgroup
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    /// <summary>1 for cgroup v1 (including hybrid hosts), 2 for the unified hierarchy.</summary>
    public int Version { get; set; }
    /// <summary>False when the kernel does not enforce the container's limits: a rootless container on a
    /// host that does not delegate cgroups to the user (every cgroup v1 host). Note says why.</summary>
    public bool LimitsEnforced { get; set; } = true;
    public string Note { get; set; } = "";
    /// <summary>The cgroup path relative to the hierarchy root, e.g. /podshell/&lt;id&gt;.</summary>
    public string Path { get; set; } = "";
    public long MemoryMax { get; set; } = long.MaxValue;
    public long MemoryCurrent { get; set; }
    /// <summary>CFS quota in microseconds per period; long.MaxValue when unlimited.</summary>
    public long CpuQuota { get; set; } = long.MaxValue;
    public long CpuPeriod { get; set; } = 100000;
    public double Cpus { get; set; } = double.PositiveInfinity;
    /// <summary>CPU time used, in nanoseconds.</summary>
    public long CpuUsage { get; set; }
    public long PidsMax { get; set; } = long.MaxValue;
    public long PidsCurrent { get; set; }
    /// <summary>The absolute directories read, per controller ("memory", "cpu", "pids", ...; "unified" on v2).</summary>
    public Dictionary<string, string> Directories { get; set; } = new();
    /// <summary>The raw file contents read, keyed by file name (e.g. "memory.max", "pids.max").</summary>
    public Dictionary<string, string> Files { get; set; } = new();
}
