namespace PodShell.Engine.Cgroups.V1;

/// <summary>CPU usage on v1 lives in cpuacct, a hierarchy of its own unless co-mounted with cpu.</summary>
internal sealed class CpuacctController : ICgroupController
{
    public string Name => "cpuacct";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        // Already nanoseconds on v1.
        if (CgroupFile.TryParseCounter(CgroupFile.Read(directory, "cpuacct.usage", into), out var usage))
            into.CpuUsage = usage;
    }
}
