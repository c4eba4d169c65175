namespace PodShell.Engine.Cgroups.V1;

internal sealed class CpuController : ICgroupController
{
    public string Name => "cpu";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        // cfs_quota_us is -1 when unlimited.
        if (CgroupFile.TryParseLimit(CgroupFile.Read(directory, "cpu.cfs_quota_us", into), out var quota))
            into.CpuQuota = quota;
        if (CgroupFile.TryParseCounter(CgroupFile.Read(directory, "cpu.cfs_period_us", into), out var period))
            into.CpuPeriod = period;
        into.Cpus = CgroupFile.Cpus(into.CpuQuota, into.CpuPeriod);
    }

    /// <summary>cfs_quota_us = cpus x period; -1 when unlimited. The period is written first: a quota
    /// larger than the old period times the parent's cpus could be refused.</summary>
    public static void WriteLimit(string directory, double cpus, long period)
    {
        CgroupFile.Write(directory, "cpu.cfs_period_us", period.ToString(System.Globalization.CultureInfo.InvariantCulture));
        CgroupFile.Write(directory, "cpu.cfs_quota_us", double.IsPositiveInfinity(cpus) ? "-1"
            : CgroupLimits.Quota(cpus, period).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
