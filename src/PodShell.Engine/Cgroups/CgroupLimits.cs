using System.Globalization;

namespace PodShell.Engine.Cgroups;

/// <summary>Changes the limits of a live cgroup (podman update): the values are written to cgroupfs, where
/// the kernel enforces them at once. Null leaves a limit as it is; long.MaxValue / +Infinity lift it.</summary>
public static class CgroupLimits
{
    public const long DefaultPeriod = 100000;

    /// <summary>Writes into the directories of <paramref name="cgroup"/> (as a driver's Read returned it).</summary>
    public static void Apply(PodShell.ContainerCgroup cgroup, long? memoryMax, double? cpus, long? pidsMax)
    {
        ArgumentNullException.ThrowIfNull(cgroup);
        if (cpus is { } c && (double.IsNaN(c) || c <= 0))
            throw new PodShellException(ErrorIds.InvalidCpus, FailureKind.InvalidArgument, $"Cpus must be above 0, not {c}.", c);
        if (memoryMax is <= 0)
            throw new PodShellException(ErrorIds.InvalidMemory, FailureKind.InvalidArgument, $"Memory must be above 0, not {memoryMax}.", memoryMax);
        if (pidsMax is <= 0)
            throw new PodShellException(ErrorIds.InvalidPidsLimit, FailureKind.InvalidArgument, $"PidsLimit must be above 0, not {pidsMax}.", pidsMax);
        long period = cgroup.CpuPeriod > 0 ? cgroup.CpuPeriod : DefaultPeriod;
        if (cgroup.Version == 2)
        {
            var dir = Dir(cgroup, "unified");
            if (memoryMax is { } m) V2.MemoryController.WriteLimit(dir, m);
            if (cpus is { } cp) V2.CpuController.WriteLimit(dir, cp, period);
            if (pidsMax is { } p) V2.PidsController.WriteLimit(dir, p);
        }
        else
        {
            if (memoryMax is { } m) V1.MemoryController.WriteLimit(Dir(cgroup, "memory"), m);
            if (cpus is { } cp) V1.CpuController.WriteLimit(Dir(cgroup, "cpu"), cp, period);
            if (pidsMax is { } p) V1.PidsController.WriteLimit(Dir(cgroup, "pids"), p);
        }
    }

    private static string Dir(PodShell.ContainerCgroup cgroup, string controller) =>
        cgroup.Directories.TryGetValue(controller, out var d) ? d
            : throw new PodShellException(ErrorIds.CgroupControllerMissing, FailureKind.NotSupported,
                $"The {controller} controller is not available for cgroup {cgroup.Path}.", cgroup.Path);

    /// <summary>The kernel's minimum quota is 1 ms (1000 us).</summary>
    internal static long Quota(double cpus, long period) =>
        Math.Max(1000, (long)Math.Round(cpus * period, MidpointRounding.AwayFromZero));

    internal static string MaxText(long value) =>
        value == long.MaxValue ? "max" : value.ToString(CultureInfo.InvariantCulture);
}
