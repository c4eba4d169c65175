namespace PodShell.Engine.Runtime.Spec;

/// <summary>Destinations a -Volume or -Tmpfs may not have, refused at New-Container with MountDestinationNotAllowed
/// instead of failing at start with the runtime's text. runc refuses any mount on or below /proc that is not
/// procfs ("cannot be mounted because it is inside /proc", libcontainer checkProcMount), except bind mounts of the
/// few files lxcfs-style tools replace; podman passes such mounts to runc unchanged and fails at start. /sys and /dev
/// are not refused: `-v /dev:/dev` and `-v /sys:/sys` are common in privileged containers (runc then makes no device
/// nodes of its own), and a tmpfs there starts too, as in podman.</summary>
public static class MountDestination
{
    // runc's list (libcontainer/rootfs_linux.go, checkProcMount): files a bind mount may cover.
    private static readonly HashSet<string> ProcFilesAllowed = new(StringComparer.Ordinal)
    {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
    };

    /// <summary>Throws MountDestinationNotAllowed for a destination the container could not start with.
    /// <paramref name="destination"/> is an absolute container path, cleaned or not.</summary>
    public static void Check(string destination, bool isBind, object target)
    {
        string d = Clean(destination);
        string? why = null;
        if (d == "/proc" || d.StartsWith("/proc/", StringComparison.Ordinal))
        {
            if (!(isBind && ProcFilesAllowed.Contains(d)))
                why = "the runtime mounts procfs there and refuses any other mount on or inside /proc (a bind mount may cover only " + string.Join(", ", ProcFilesAllowed.Order(StringComparer.Ordinal)) + ")";
        }
        if (why != null)
            throw new PodShellException(ErrorIds.MountDestinationNotAllowed, FailureKind.InvalidArgument,
                $"A mount cannot have the destination '{d}': {why}.", target);
    }

    /// <summary>Go's filepath.Clean for absolute paths, which podman applies to mount paths.</summary>
    internal static string Clean(string path)
    {
        var stack = new List<string>();
        foreach (var seg in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (seg == ".") continue;
            if (seg == "..") { if (stack.Count > 0) stack.RemoveAt(stack.Count - 1); continue; }
            stack.Add(seg);
        }
        return "/" + string.Join('/', stack);
    }
}
