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

    /// <summary>Sets memory.limit_in_bytes (-1 = unlimited), keeping memsw.limit_in_bytes in step when swap
    /// accounting is on: the kernel refuses (EINVAL) a memory limit above memsw, so when raising memsw is
    /// written first and when lowering last. A set swap allowance (memsw - memory) is kept.</summary>
    public static void WriteLimit(string directory, long bytes)
    {
        var memsw = Path.Combine(directory, "memory.memsw.limit_in_bytes");
        long oldMemory = CgroupFile.TryParseLimit(CgroupFile.ReadRaw(directory, "memory.limit_in_bytes"), out var m) ? m : long.MaxValue;
        long? oldSwap = File.Exists(memsw) && CgroupFile.TryParseLimit(CgroupFile.ReadRaw(directory, "memory.memsw.limit_in_bytes"), out var s) ? s : null;
        string memText = bytes == long.MaxValue ? "-1" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (oldSwap is null || oldSwap >= UnlimitedThreshold)
        {
            CgroupFile.Write(directory, "memory.limit_in_bytes", memText);
            return;
        }
        long allowance = oldMemory >= UnlimitedThreshold ? 0 : Math.Max(0, oldSwap.Value - oldMemory);
        string swText = bytes == long.MaxValue ? "-1" : (bytes + allowance).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (bytes == long.MaxValue || bytes > oldMemory)
        {
            CgroupFile.Write(directory, "memory.memsw.limit_in_bytes", swText);
            CgroupFile.Write(directory, "memory.limit_in_bytes", memText);
        }
        else
        {
            CgroupFile.Write(directory, "memory.limit_in_bytes", memText);
            CgroupFile.Write(directory, "memory.memsw.limit_in_bytes", swText);
        }
    }
}
