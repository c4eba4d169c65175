namespace PodShell.Engine.Cgroups.V2;

internal sealed class MemoryController : ICgroupController
{
    public string Name => "memory";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        if (CgroupFile.TryParseLimit(CgroupFile.Read(directory, "memory.max", into), out var max))
            into.MemoryMax = max;
        if (CgroupFile.TryParseCounter(CgroupFile.Read(directory, "memory.current", into), out var current))
            into.MemoryCurrent = current;
    }
}
