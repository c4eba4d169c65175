namespace PodShell.Engine.Cgroups.V1;

internal sealed class MemoryController : ICgroupController
{
    public string Name => "memory";

    // The kernel stores the v1 limit in pages, so "unlimited" (LONG_MAX) reads back rounded down to a
    // page: 9223372036854771712 with 4 KiB pages. Anything at or above that rounding is unlimited.
    internal static readonly long UnlimitedThreshold = long.MaxValue & ~((long)Math.Max(Environment.SystemPageSize, 4096) - 1);

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        if (CgroupFile.TryParseLimit(CgroupFile.Read(directory, "memory.limit_in_bytes", into), out var max))
            into.MemoryMax = max >= UnlimitedThreshold ? long.MaxValue : max;
        if (CgroupFile.TryParseCounter(CgroupFile.Read(directory, "memory.usage_in_bytes", into), out var usage))
            into.MemoryCurrent = usage;
    }
}
