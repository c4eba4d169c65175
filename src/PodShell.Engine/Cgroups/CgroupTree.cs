using PodShell.Engine.Linux;

namespace PodShell.Engine.Cgroups;

/// <summary>Path checks and removal shared by both drivers.</summary>
internal static class CgroupTree
{
    // runc retries rmdir 5 times from 10 ms, doubling: a just-killed task leaves its cgroup a moment later.
    private const int RemoveAttempts = 6;
    private const int FirstDelayMs = 10;

    /// <summary>"/a/b" form of a path relative to the hierarchy roots. ".." is refused: these paths
    /// become rmdir targets.</summary>
    public static string Normalize(string cgroupPath)
    {
        if (string.IsNullOrWhiteSpace(cgroupPath) || cgroupPath.Contains('\0'))
            throw Invalid(cgroupPath);
        var segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Any(s => s == ".."))
            throw Invalid(cgroupPath);
        return "/" + string.Join('/', segments);
    }

    /// <summary>Normalize, refusing the hierarchy root itself (removing it would mean every cgroup).</summary>
    public static string NormalizeForRemoval(string cgroupPath)
    {
        var normalized = Normalize(cgroupPath);
        if (normalized == "/")
            throw Invalid(cgroupPath);
        return normalized;
    }

    private static PodShellException Invalid(string? cgroupPath) =>
        new(ErrorIds.InvalidCgroupPath, FailureKind.InvalidArgument,
            $"'{cgroupPath}' is not a cgroup path below the hierarchy root.", cgroupPath);

    /// <summary>Removes <paramref name="directory"/> and its child cgroups, deepest first (a cgroup with
    /// children cannot be removed). Absent is success.</summary>
    public static void Remove(string directory, string cgroupPath)
    {
        IEnumerable<string> children;
        try
        {
            children = Directory.GetDirectories(directory);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        // cgroupfs has no symlinks; never follow one out of the hierarchy.
        foreach (var child in children)
            if (!new DirectoryInfo(child).Attributes.HasFlag(FileAttributes.ReparsePoint))
                Remove(child, cgroupPath);

        int delay = FirstDelayMs;
        for (int attempt = 1; ; attempt++)
        {
            int errno = CgroupDirectory.Remove(directory);
            if (errno == 0 || errno == CgroupDirectory.ENOENT)
                return;
            // EBUSY: tasks still attached. ENOTEMPTY is what a non-cgroupfs directory answers instead.
            bool busy = errno == CgroupDirectory.EBUSY || errno == CgroupDirectory.ENOTEMPTY;
            if (!busy)
            {
                var kind = errno is CgroupDirectory.EPERM or CgroupDirectory.EACCES or CgroupDirectory.EROFS
                    ? FailureKind.PermissionDenied : FailureKind.RuntimeFailed;
                throw new PodShellException(ErrorIds.CgroupRemoveFailed, kind,
                    $"Cannot remove cgroup directory {directory} (errno {errno}).", cgroupPath);
            }
            if (attempt == RemoveAttempts)
                throw new PodShellException(ErrorIds.CgroupBusy, FailureKind.ResourceBusy,
                    $"Cgroup directory {directory} still has processes or children.", cgroupPath);
            Thread.Sleep(delay);
            delay *= 2;
        }
    }

    /// <summary>True when the directory is absent, or has no child cgroups and no processes.</summary>
    public static bool IsEmpty(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
                return true;
            if (Directory.EnumerateDirectories(directory).Any())
                return false;
            var procs = Path.Combine(directory, "cgroup.procs");
            return !File.Exists(procs) || File.ReadAllText(procs).Trim().Length == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Vanished while we looked: absent counts as empty, anything else as not.
            return !Directory.Exists(directory);
        }
    }

    /// <summary>One rmdir, no retries; true when removed or absent.</summary>
    public static bool TryRemoveOnce(string directory)
    {
        int errno = CgroupDirectory.Remove(directory);
        return errno == 0 || errno == CgroupDirectory.ENOENT;
    }
}
