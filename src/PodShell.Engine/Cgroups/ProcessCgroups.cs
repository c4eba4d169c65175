namespace PodShell.Engine.Cgroups;

/// <summary>/proc/&lt;pid&gt;/cgroup: "hierarchy-id:controller-list:path" per line; the v2 line is "0::path".</summary>
internal static class ProcessCgroups
{
    public sealed record Entry(int HierarchyId, IReadOnlyList<string> Controllers, string Path);

    /// <summary>The entries, or throws "CgroupNotFound" when the process is gone.</summary>
    public static List<Entry> Read(string procRoot, int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(System.IO.Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cgroup"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound,
                $"Process {pid} does not exist or its cgroup cannot be read.", pid, e);
        }
        var entries = new List<Entry>();
        foreach (var line in lines)
        {
            // The path is last and may itself contain ':'.
            var parts = line.Split(':', 3);
            if (parts.Length != 3 || !int.TryParse(parts[0], out var id))
                continue;
            var controllers = parts[1].Length == 0 ? Array.Empty<string>() : parts[1].Split(',');
            entries.Add(new Entry(id, controllers, parts[2]));
        }
        return entries;
    }
}
