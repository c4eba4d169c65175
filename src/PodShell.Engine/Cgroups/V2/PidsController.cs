namespace PodShell.Engine.Cgroups.V2;

internal sealed class PidsController : ICgroupController
{
    public string Name => "pids";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        if (CgroupFile.TryParseLimit(CgroupFile.Read(directory, "pids.max", into), out var max))
            into.PidsMax = max;
        if (CgroupFile.TryParseCounter(CgroupFile.Read(directory, "pids.current", into), out var current))
            into.PidsCurrent = current;
    }

    public static void WriteLimit(string directory, long max) =>
        CgroupFile.Write(directory, "pids.max", CgroupLimits.MaxText(max));
}
