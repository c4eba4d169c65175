namespace PodShell.Engine.Cgroups.V2;

internal sealed class CpuController : ICgroupController
{
    public string Name => "cpu";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        // cpu.max is "<quota|max> <period>"; it only exists when cpu is in the parent's subtree_control.
        var max = CgroupFile.Read(directory, "cpu.max", into);
        if (max is not null)
        {
            var parts = max.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && CgroupFile.TryParseLimit(parts[0], out var quota))
                into.CpuQuota = quota;
            if (parts.Length >= 2 && CgroupFile.TryParseCounter(parts[1], out var period))
                into.CpuPeriod = period;
        }
        into.Cpus = CgroupFile.Cpus(into.CpuQuota, into.CpuPeriod);

        // cpu.stat is a core file (present even with the cpu controller off); usage_usec is microseconds.
        var usec = CgroupFile.Field(CgroupFile.Read(directory, "cpu.stat", into), "usage_usec");
        if (CgroupFile.TryParseCounter(usec, out var usage))
            into.CpuUsage = usage > long.MaxValue / 1000 ? long.MaxValue : usage * 1000;
    }

    /// <summary>cpu.max is "quota period" in one write, "max period" when unlimited.</summary>
    public static void WriteLimit(string directory, double cpus, long period)
    {
        var quota = double.IsPositiveInfinity(cpus) ? "max" : CgroupLimits.Quota(cpus, period).ToString(System.Globalization.CultureInfo.InvariantCulture);
        CgroupFile.Write(directory, "cpu.max", quota + " " + period.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
