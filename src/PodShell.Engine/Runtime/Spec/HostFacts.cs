using PodShell.Engine.Linux;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>What the spec depends on about the host and the calling process. Probed once and passed to
/// <see cref="OciSpecBuilder.Build"/> so the builder stays pure and tests can play any host.</summary>
public sealed class HostFacts
{
    public ulong NofileSoft { get; init; }
    public ulong NofileHard { get; init; }
    public ulong NprocSoft { get; init; }
    public ulong NprocHard { get; init; }

    /// <summary>Without CAP_SYS_RESOURCE the runtime cannot raise rlimits above the caller's hard limit
    /// (runc: "error setting rlimit type 7: operation not permitted").</summary>
    public bool HasCapSysResource { get; init; }

    /// <summary>True when /sys/fs/cgroup is cgroup2. Then the container gets a private cgroup namespace
    /// (podman's default); on v1 and hybrid hosts it shares the host's.</summary>
    public bool CgroupV2Unified { get; init; }

    public static HostFacts Probe()
    {
        var nofile = ResourceLimits.Get(ResourceLimits.RLIMIT_NOFILE);
        var nproc = ResourceLimits.Get(ResourceLimits.RLIMIT_NPROC);
        return new HostFacts
        {
            NofileSoft = nofile.Soft,
            NofileHard = nofile.Hard,
            NprocSoft = nproc.Soft,
            NprocHard = nproc.Hard,
            HasCapSysResource = Capabilities.HasEffective(Capabilities.CAP_SYS_RESOURCE),
            CgroupV2Unified = SpecHostProbe.IsCgroupV2Unified(),
        };
    }
}
