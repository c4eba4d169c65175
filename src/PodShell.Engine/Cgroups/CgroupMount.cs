using System.Text;

namespace PodShell.Engine.Cgroups;

/// <summary>One cgroup or cgroup2 line of /proc/self/mountinfo.</summary>
internal sealed record CgroupMount(string Device, string Root, string MountPoint, string FsType, IReadOnlyList<string> Controllers)
{
    // v1 super options mix mount flags with controller names ("rw,nosuid,cpu,cpuacct" or
    // "rw,xattr,name=systemd"); only these names (and name=) are hierarchies.
    private static readonly HashSet<string> KnownControllers = new(StringComparer.Ordinal)
    {
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
    };

    public bool IsV2 => FsType == "cgroup2";

    /// <summary><paramref name="cgroupPath"/>, a path from the hierarchy root as the kernel prints it in
    /// /proc/&lt;pid&gt;/cgroup, made relative to what this mount shows; null when the mount does not show
    /// that part of the hierarchy (a bind mount of a subtree, as inside containers).</summary>
    public string? RelativePath(string cgroupPath)
    {
        if (Root == "/")
            return cgroupPath;
        if (cgroupPath == Root)
            return "/";
        if (cgroupPath.StartsWith(Root + "/", StringComparison.Ordinal))
            return cgroupPath[Root.Length..];
        return null;
    }

    public string? DirectoryFor(string cgroupPath) =>
        RelativePath(cgroupPath) is { } relative ? Join(MountPoint, relative) : null;

    public static string Join(string mountPoint, string relative)
    {
        var trimmed = relative.Trim('/');
        return trimmed.Length == 0 ? mountPoint : mountPoint.TrimEnd('/') + "/" + trimmed;
    }

    /// <summary>The cgroup and cgroup2 mounts the process at <paramref name="procRoot"/>/self sees;
    /// empty when mountinfo cannot be read.</summary>
    public static List<CgroupMount> ReadAll(string procRoot)
    {
        var mounts = new List<CgroupMount>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(procRoot, "self", "mountinfo"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return mounts;
        }
        foreach (var line in lines)
        {
            var mount = Parse(line);
            if (mount is not null)
                mounts.Add(mount);
        }
        return mounts;
    }

    /// <summary>Parses one mountinfo line (proc(5)): id parent major:minor root mountpoint options
    /// [optional fields...] - fstype source superoptions.</summary>
    public static CgroupMount? Parse(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9)
            return null;
        int dash = Array.IndexOf(fields, "-", 6);
        if (dash < 0 || dash + 1 >= fields.Length)
            return null;
        var fsType = fields[dash + 1];
        if (fsType != "cgroup" && fsType != "cgroup2")
            return null;
        var superOptions = dash + 3 < fields.Length ? fields[dash + 3] : "";
        var controllers = fsType == "cgroup2"
            ? new List<string>()
            : superOptions.Split(',').Where(o => KnownControllers.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal)).ToList();
        return new CgroupMount(fields[2], Unescape(fields[3]), Unescape(fields[4]), fsType, controllers);
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length
                && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c >= '0' && c <= '7';
}
