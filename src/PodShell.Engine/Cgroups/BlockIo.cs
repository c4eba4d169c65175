using System.Globalization;

namespace PodShell.Engine.Cgroups;

/// <summary>Bytes read from and written to block devices by a cgroup, from the raw files the drivers
/// keep in ContainerCgroup.Files (v1 blkio.throttle.io_service_bytes*, v2 io.stat).</summary>
public static class BlockIo
{
    public static (long Read, long Write) Of(PodShell.ContainerCgroup cgroup)
    {
        ArgumentNullException.ThrowIfNull(cgroup);
        if (cgroup.Files.TryGetValue("io.stat", out var v2))
            return ParseIoStat(v2);
        if (cgroup.Files.TryGetValue("blkio.throttle.io_service_bytes_recursive", out var rec))
            return ParseServiceBytes(rec);
        if (cgroup.Files.TryGetValue("blkio.throttle.io_service_bytes", out var flat))
            return ParseServiceBytes(flat);
        return (0, 0);
    }

    /// <summary>v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device.</summary>
    public static (long Read, long Write) ParseIoStat(string text)
    {
        long read = 0, write = 0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            foreach (var field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                var kv = field.Split('=', 2);
                if (kv.Length != 2 || !long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    continue;
                if (kv[0] == "rbytes") read += n;
                else if (kv[0] == "wbytes") write += n;
            }
        return (read, write);
    }

    /// <summary>v1 "MAJ:MIN Read N" / "MAJ:MIN Write N" lines; the closing "Total N" line is skipped.</summary>
    public static (long Read, long Write) ParseServiceBytes(string text)
    {
        long read = 0, write = 0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                continue;
            if (parts[1] == "Read") read += n;
            else if (parts[1] == "Write") write += n;
        }
        return (read, write);
    }
}
