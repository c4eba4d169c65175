using System.Runtime.InteropServices;
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

    /// <summary>CapBnd of the calling process: what a privileged container gets, and the most -CapAdd can
    /// grant. Defaults to every capability so hand-made facts in tests behave like a root host.</summary>
    public ulong BoundingCapabilities { get; init; } = (1UL << CapabilitySet.All.Length) - 1;

    /// <summary>The Go name of the host architecture ("amd64", "arm64"): the default seccomp profile's
    /// architecture map and arch-only rules are picked by it, as containers/common does with runtime.GOARCH.</summary>
    public string Architecture { get; init; } = GoArchitecture(RuntimeInformation.OSArchitecture);

    /// <summary>The caller's hard limit per ulimit name ("nofile"); a container cannot get more without
    /// CAP_SYS_RESOURCE. Missing names are not checked.</summary>
    public IReadOnlyDictionary<string, ulong> HardLimits { get; init; } = new Dictionary<string, ulong>();

    internal static string GoArchitecture(Architecture arch) => arch switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        _ => arch.ToString().ToLowerInvariant(),
    };

    public static HostFacts Probe()
    {
        var hard = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var (name, resource) in Ulimit.Resources)
        {
            hard[name] = ResourceLimits.Get(resource).Hard;
        }
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
            BoundingCapabilities = Capabilities.ParseStatusField(File.ReadAllText("/proc/self/status"), "CapBnd"),
            HardLimits = hard,
        };
    }
}
