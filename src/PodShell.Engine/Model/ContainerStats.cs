namespace PodShell;

/// <summary>One sample of what a running container uses, every figure read from the kernel: cgroupfs for
/// CPU, memory, pids and block I/O, /proc/&lt;pid&gt;/net/dev (the container's own netns) for network.</summary>
public sealed class ContainerStats
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    /// <summary>When the sample was taken (UTC).</summary>
    public DateTime Timestamp { get; set; }
    /// <summary>CPU used between two samples, in percent of one CPU (200 = two CPUs busy).</summary>
    public double CpuPercent { get; set; }
    /// <summary>Total CPU time used, in nanoseconds.</summary>
    public long CpuUsage { get; set; }
    public long MemoryUsage { get; set; }
    /// <summary>long.MaxValue when unlimited.</summary>
    public long MemoryLimit { get; set; } = long.MaxValue;
    /// <summary>Usage in percent of the limit; 0 when unlimited.</summary>
    public double MemoryPercent { get; set; }
    public long PidsCurrent { get; set; }
    /// <summary>long.MaxValue when unlimited.</summary>
    public long PidsLimit { get; set; } = long.MaxValue;
    /// <summary>Bytes received on the container's interfaces (loopback excluded).</summary>
    public long NetInputBytes { get; set; }
    /// <summary>Bytes sent on the container's interfaces (loopback excluded).</summary>
    public long NetOutputBytes { get; set; }
    public long BlockInputBytes { get; set; }
    public long BlockOutputBytes { get; set; }
}
