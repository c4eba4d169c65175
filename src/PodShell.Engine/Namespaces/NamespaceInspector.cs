using System.Globalization;

namespace PodShell.Engine.Namespaces;

/// <summary>A process's namespaces from /proc/&lt;pid&gt;/ns, compared with the calling process's.</summary>
public static class NamespaceInspector
{
    public static readonly string[] Types = { "mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time" };

    /// <summary>One entry per namespace type whose link exists. The "host" is the calling process
    /// (/proc/self), not pid 1: /proc/1/ns is unreadable without ptrace rights over init, and inside a
    /// container pid 1 is not the host anyway. Throws "ProcessNotFound" when /proc/&lt;pid&gt; is gone.</summary>
    public static IReadOnlyList<PodShell.ContainerNamespace> Inspect(int pid, string procRoot = "/proc")
    {
        var processDir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        if (pid <= 0 || !Directory.Exists(processDir))
            throw NotFound(pid);

        var result = new List<PodShell.ContainerNamespace>();
        foreach (var type in Types)
        {
            var path = Path.Combine(processDir, "ns", type);
            var inode = ReadInode(path, type);
            if (inode is null)
                continue;
            var host = ReadInode(Path.Combine(procRoot, "self", "ns", type), type);
            result.Add(new PodShell.ContainerNamespace
            {
                Type = type,
                Inode = inode.Value,
                Path = path,
                Pid = pid,
                HostInode = host ?? 0,
                SharedWithHost = host == inode,
                UidMap = type == "user" ? ReadIdMap(Path.Combine(processDir, "uid_map")) : Array.Empty<string>(),
                GidMap = type == "user" ? ReadIdMap(Path.Combine(processDir, "gid_map")) : Array.Empty<string>(),
            });
        }
        // The links vanish when the process exits; an empty answer from a dead process is "not found".
        if (result.Count == 0 && !Directory.Exists(processDir))
            throw NotFound(pid);
        return result;
    }

    /// <summary>The lines of a uid_map or gid_map with the kernel's column padding squeezed to one space.</summary>
    internal static string[] ReadIdMap(string path)
    {
        try
        {
            return File.ReadAllLines(path)
                .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                .Where(l => l.Length > 0).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>The inode in a namespace link's text, "mnt:[4026531840]"; null when the link is missing,
    /// unreadable or not of that form.</summary>
    internal static ulong? ReadInode(string linkPath, string type)
    {
        string? target;
        try
        {
            target = new FileInfo(linkPath).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ParseLinkTarget(target, type);
    }

    internal static ulong? ParseLinkTarget(string? target, string type)
    {
        var prefix = type + ":[";
        if (target is null || !target.StartsWith(prefix, StringComparison.Ordinal) || !target.EndsWith(']'))
            return null;
        return ulong.TryParse(target.AsSpan(prefix.Length, target.Length - prefix.Length - 1),
            NumberStyles.None, CultureInfo.InvariantCulture, out var inode) ? inode : null;
    }

    private static PodShellException NotFound(int pid) =>
        new(ErrorIds.ProcessNotFound, FailureKind.NotFound, $"Process {pid} does not exist.", pid);
}
