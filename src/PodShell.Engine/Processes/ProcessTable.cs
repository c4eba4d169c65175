using System.Globalization;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Processes;

/// <summary>Processes as /proc shows them (what ps and podman top read).</summary>
public static class ProcessTable
{
    /// <summary>The pids listed in a cgroup directory's cgroup.procs (v1 or v2), empty when unreadable.</summary>
    public static IReadOnlyList<int> PidsIn(string cgroupDirectory)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(cgroupDirectory, "cgroup.procs"))
                .Select(l => int.TryParse(l.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0)
                .Where(p => p > 0).Distinct().Order().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<int>();
        }
    }

    /// <summary>The processes of the PID namespace <paramref name="initPid"/> is in, found by the namespace inode of
    /// every process in /proc. For a container without a cgroup of its own (rootless on cgroup v1), its PID
    /// namespace is what holds its processes together.</summary>
    public static IReadOnlyList<int> PidsInNamespaceOf(int initPid, string procRoot = "/proc")
    {
        var target = Namespaces.NamespaceInspector.ReadInode(Path.Combine(procRoot, initPid.ToString(CultureInfo.InvariantCulture), "ns", "pid"), "pid");
        if (target is null) return Array.Empty<int>();
        var list = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Namespaces.NamespaceInspector.ReadInode(Path.Combine(dir, "ns", "pid"), "pid") == target) list.Add(pid);
        }
        list.Sort();
        return list;
    }

    /// <summary>One process; null when it exited meanwhile. <paramref name="rootfs"/> (the container's root)
    /// names the uid from its own /etc/passwd.</summary>
    public static PodShell.ContainerProcess? Read(int pid, string? rootfs, string procRoot = "/proc")
    {
        var dir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        string status, stat, cmdline;
        try
        {
            status = File.ReadAllText(Path.Combine(dir, "status"));
            stat = File.ReadAllText(Path.Combine(dir, "stat"));
            cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var p = new PodShell.ContainerProcess { Pid = pid, ContainerPid = pid };
        foreach (var line in status.Split('\n'))
        {
            var kv = line.Split(':', 2);
            if (kv.Length != 2) continue;
            var fields = kv[1].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            switch (kv[0])
            {
                // NSpid lists the pid in every pid namespace from the reader's down; the last is the innermost.
                case "NSpid": p.ContainerPid = int.Parse(fields[^1], CultureInfo.InvariantCulture); break;
                case "Uid": p.Uid = uint.Parse(fields[0], CultureInfo.InvariantCulture); break; // real uid, as ps USER
                case "VmRSS": p.MemoryRss = long.Parse(fields[0], CultureInfo.InvariantCulture) * 1024; break;
                case "PPid": p.ParentPid = int.Parse(fields[0], CultureInfo.InvariantCulture); break;
            }
        }
        // comm is in parentheses and may hold spaces and ')': the fields start after the last ')'.
        int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
        if (open >= 0 && close > open)
        {
            p.Name = stat[(open + 1)..close];
            var f = stat[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // After comm: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22), so index = field - 3.
            if (f.Length > 19)
            {
                double ticks = SystemConfig.ClockTicks;
                long cpuTicks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
                long startTicks = long.Parse(f[19], CultureInfo.InvariantCulture);
                p.CpuTime = TimeSpan.FromSeconds(cpuTicks / ticks);
                double uptime = Uptime(procRoot);
                double alive = uptime - startTicks / ticks;
                p.CpuPercent = alive > 0 ? Math.Round(cpuTicks / ticks / alive * 100, 1) : 0;
                p.StartTime = DateTime.UtcNow - TimeSpan.FromSeconds(Math.Max(0, alive));
            }
        }
        p.CommandLine = string.Join(' ', cmdline.Split('\0', StringSplitOptions.RemoveEmptyEntries));
        if (p.CommandLine.Length == 0) p.CommandLine = "[" + p.Name + "]";
        p.User = rootfs is null ? p.Uid.ToString(CultureInfo.InvariantCulture) : UserName(rootfs, p.Uid);
        return p;
    }

    private static double Uptime(string procRoot)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(procRoot, "uptime")).Split(' ')[0];
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>The name of <paramref name="uid"/> in the root's /etc/passwd (resolved inside the root,
    /// a symlinked /etc/passwd cannot point at the host's), else the number.</summary>
    public static string UserName(string rootfs, uint uid)
    {
        try
        {
            // Read through a descriptor opened inside the root: the container runs and could swap /etc meanwhile.
            var passwd = Linux.RootedPath.ReadFile(rootfs, "/etc/passwd") ?? "";
            foreach (var line in passwd.Split('\n'))
            {
                var f = line.Split(':');
                if (f.Length > 2 && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u == uid)
                    return f[0];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PodShellException) { }
        return uid.ToString(CultureInfo.InvariantCulture);
    }
}
