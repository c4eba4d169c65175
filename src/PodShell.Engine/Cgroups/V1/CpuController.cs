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
}
