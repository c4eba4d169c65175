using System.Text;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Overlay;

/// <summary>An overlay mount as the kernel reports it; lower dirs uppermost first, resolved to real directories.</summary>
public sealed record OverlayMountInfo(string Target, string[] LowerDirs, string UpperDir, string WorkDir, string Options);

/// <summary>overlayfs mounts of a container's root filesystem.</summary>
public static class OverlayMount
{
    // mount(2) copies at most one page of data; containers/storage keeps 512 bytes of headroom
    // (drivers/overlay/overlay.go, the idLength computation).
    private const int MaxMountData = 4096 - 512;
    private const int UnmountAttempts = 5;

    /// <summary>Mounts overlay at <paramref name="target"/> with <paramref name="lowerDirs"/> uppermost first.
    /// Pass the short l/ link paths to keep the option string within a page.</summary>
    public static void Mount(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, string target)
    {
        string data = Options(lowerDirs, upperDir, workDir, target);
        Directory.CreateDirectory(target);
        int errno = MountSyscalls.Mount("overlay", target, "overlay", 0, data);
        if (errno != 0)
        {
            var kind = errno switch
            {
                MountSyscalls.EPERM => FailureKind.PermissionDenied,
                MountSyscalls.EBUSY => FailureKind.ResourceBusy,
                MountSyscalls.ENOENT or MountSyscalls.ENOTDIR or MountSyscalls.EINVAL => FailureKind.InvalidArgument,
                _ => FailureKind.RuntimeFailed,
            };
            throw new PodShellException(ErrorIds.OverlayMountFailed, kind,
                $"mount overlay on '{target}' failed: {MountSyscalls.ErrorText(errno)} (errno {errno}); options: {data}", target);
        }
    }

    /// <summary>The checked mount data string "lowerdir=...,upperdir=...,workdir=..." (also what a rootless mount,
    /// made by a helper inside the user namespace, passes).</summary>
    public static string Options(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, string target)
    {
        ArgumentNullException.ThrowIfNull(lowerDirs);
        if (lowerDirs.Count == 0)
            throw new PodShellException(ErrorIds.OverlayMountFailed, FailureKind.InvalidArgument,
                "An overlay mount needs at least one lower directory.", target);
        foreach (string dir in lowerDirs.Append(upperDir).Append(workDir))
        {
            // ',' separates mount options and ':' separates lower dirs; the kernel has escapes for neither
            // in the legacy mount(2) data string.
            if (string.IsNullOrEmpty(dir) || dir.IndexOfAny([',', ':']) >= 0)
                throw new PodShellException(ErrorIds.OverlayMountFailed, FailureKind.InvalidArgument,
                    $"Overlay directory '{dir}' is empty or contains ',' or ':'.", target);
        }

        string data = $"lowerdir={string.Join(':', lowerDirs)},upperdir={upperDir},workdir={workDir}";
        if (Encoding.UTF8.GetByteCount(data) > MaxMountData)
        {
            // The fix is what containers/storage does: mount from a helper process whose cwd is the overlay root,
            // with relative l/ paths, or the new mount API (fsconfig "lowerdir+", kernel >= 6.8), one dir per call.
            throw new PodShellException(ErrorIds.TooManyLayers, FailureKind.NotSupported,
                $"The overlay mount options for {lowerDirs.Count} lower layers exceed {MaxMountData} bytes.", target);
        }
        return data;
    }

    /// <summary>Unmounts <paramref name="target"/>; a no-op when nothing is mounted there. EBUSY is retried and then
    /// the mount is detached: another mount namespace may still hold it (podman#11594).</summary>
    public static void Unmount(string target)
    {
        for (int attempt = 0; attempt < UnmountAttempts; attempt++)
        {
            if (!IsMounted(target)) return;
            int errno = MountSyscalls.Unmount(target, 0);
            if (errno == 0 || errno is MountSyscalls.EINVAL or MountSyscalls.ENOENT) continue;
            if (errno != MountSyscalls.EBUSY) throw UnmountFailed(target, errno);
            Thread.Sleep(50 << attempt);
        }
        if (!IsMounted(target)) return;
        int detach = MountSyscalls.Unmount(target, MountSyscalls.MNT_DETACH);
        if (detach != 0 && detach is not (MountSyscalls.EINVAL or MountSyscalls.ENOENT))
            throw UnmountFailed(target, detach);
    }

    /// <summary>True when anything (not only overlay) is mounted at <paramref name="target"/>.</summary>
    public static bool IsMounted(string target, string mountInfoPath = "/proc/self/mountinfo")
    {
        var candidates = Candidates(target);
        return MountInfo.Read(mountInfoPath).Any(m => candidates.Contains(m.MountPoint));
    }

    /// <summary>The topmost overlay mounted at <paramref name="target"/>, with lowerdir/upperdir/workdir resolved
    /// through symlinks (the kernel shows the l/ link paths that were passed); null if none.</summary>
    public static OverlayMountInfo? Find(string target, string mountInfoPath = "/proc/self/mountinfo")
    {
        var candidates = Candidates(target);
        var entry = MountInfo.Read(mountInfoPath).LastOrDefault(m => m.FsType == "overlay" && candidates.Contains(m.MountPoint));
        if (entry is null) return null;

        var lower = new List<string>();
        string upper = "", work = "";
        foreach (string option in entry.SuperOptions.Split(','))
        {
            int eq = option.IndexOf('=');
            if (eq < 0) continue;
            string key = option[..eq], value = option[(eq + 1)..];
            switch (key)
            {
                case "lowerdir":
                    // Kernels >= 6.7 print data-only lower layers after "::"; an empty element is that separator.
                    lower.AddRange(value.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => RealDir(MountInfo.Unescape(d))));
                    break;
                case "upperdir": upper = RealDir(MountInfo.Unescape(value)); break;
                case "workdir": work = RealDir(MountInfo.Unescape(value)); break;
            }
        }
        return new OverlayMountInfo(entry.MountPoint, lower.ToArray(), upper, work, MountInfo.Unescape(entry.SuperOptions));
    }

    private static string RealDir(string path) => FileStatus.RealPath(path) ?? path;

    private static HashSet<string> Candidates(string target)
    {
        string full = Path.GetFullPath(target);
        if (full.Length > 1) full = full.TrimEnd('/');
        var set = new HashSet<string>(StringComparer.Ordinal) { full };
        if (FileStatus.RealPath(full) is { } real) set.Add(real);
        return set;
    }

    private static PodShellException UnmountFailed(string target, int errno)
        => new(ErrorIds.OverlayUnmountFailed, errno == MountSyscalls.EBUSY ? FailureKind.ResourceBusy : FailureKind.RuntimeFailed,
            $"umount '{target}' failed: {MountSyscalls.ErrorText(errno)} (errno {errno})", target);
}
