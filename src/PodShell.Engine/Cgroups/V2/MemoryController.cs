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
        // Raw, for Get-ContainerCgroup's Files: the breakdown (anon, file, shmem, inactive_file...) and the
        // counters of limit hits and OOM kills, which is where a v2 user looks for why a container died.
        CgroupFile.Read(directory, "memory.stat", into);
        CgroupFile.Read(directory, "memory.events", into);
    }

    /// <summary>memory.max; the kernel reclaims (and OOM-kills if it must) down to a lower value.</summary>
    public static void WriteLimit(string directory, long bytes) =>
        CgroupFile.Write(directory, "memory.max", CgroupLimits.MaxText(bytes));
}
