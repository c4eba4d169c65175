using System.Globalization;

namespace PodShell.Engine.Rootless;

/// <summary>One range of subordinate ids from /etc/subuid or /etc/subgid: the host ids Start .. Start+Count-1
/// that the user may map into its user namespaces (through the setuid newuidmap/newgidmap).</summary>
public sealed record SubordinateRange(long Start, long Count);

/// <summary>Reads /etc/subuid and /etc/subgid ("name-or-id:start:count" per line, as shadow-utils writes them).</summary>
public static class SubordinateIds
{
    public const string UidFile = "/etc/subuid";
    public const string GidFile = "/etc/subgid";

    /// <summary>The first range for the user, matched by name or by numeric id (both spellings are valid in the
    /// files); null when the user has none. Malformed lines are skipped, as newuidmap skips them.</summary>
    public static SubordinateRange? Find(string file, string? userName, uint id)
    {
        if (!File.Exists(file)) return null;
        foreach (var raw in File.ReadLines(file))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split(':');
            if (parts.Length != 3) continue;
            bool mine = (userName != null && parts[0] == userName) || parts[0] == id.ToString(CultureInfo.InvariantCulture);
            if (!mine) continue;
            if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) continue;
            if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0) continue;
            return new SubordinateRange(start, count);
        }
        return null;
    }

    /// <summary>The host id of an id inside the namespace: 0 is the user itself, 1..Count the range.
    /// Null for an id the mapping does not cover (it shows as the overflow id, 65534).</summary>
    public static long? HostId(long insideId, uint ownId, SubordinateRange range)
    {
        if (insideId == 0) return ownId;
        if (insideId >= 1 && insideId <= range.Count) return range.Start + insideId - 1;
        return null;
    }

    /// <summary>The inverse of <see cref="HostId"/>: the user is 0, its range 1..Count, any other host id the kernel's
    /// overflow id 65534 (what a process inside sees for an unmapped owner).</summary>
    public static int InsideId(long hostId, uint ownId, SubordinateRange range)
    {
        if (hostId == ownId) return 0;
        if (hostId >= range.Start && hostId < range.Start + range.Count) return (int)(hostId - range.Start + 1);
        return 65534;
    }

    /// <summary>newuidmap/newgidmap arguments for a pid: "0 own 1 1 start count".</summary>
    public static string[] MapArguments(int pid, uint ownId, SubordinateRange range) => new[]
    {
        pid.ToString(CultureInfo.InvariantCulture),
        "0", ownId.ToString(CultureInfo.InvariantCulture), "1",
        "1", range.Start.ToString(CultureInfo.InvariantCulture), range.Count.ToString(CultureInfo.InvariantCulture),
    };
}
