using PodShell.Engine.Linux;

namespace PodShell.Engine.Overlay;

/// <summary>What a container changed, read from its overlay upper dir against the lower dirs, as
/// containers/storage's OverlayChanges does (design.md, Upstream U5): a char device 0/0 is a deleted path,
/// an opaque directory that exists below is a deleted (then re-made) directory, a path present in any
/// lower dir is Changed, else Added. Directories are reported when something below them is.</summary>
public static class OverlayChanges
{

    /// <summary>Files the engine itself puts in every container (runc creates them as bind-mount targets);
    /// they are neither the user's changes nor part of a commit.</summary>
    public static readonly IReadOnlySet<string> EnginePlaceholders = new HashSet<string>(StringComparer.Ordinal)
    {
        "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/run/.containerenv",
    };

    /// <param name="upperDir">The container layer's diff dir (overlay upperdir).</param>
    /// <param name="lowerDirsTopFirst">The lower dirs as overlay stacks them, uppermost first.</param>
    public static IReadOnlyList<(string Path, PodShell.ChangeKind Kind)> Read(string upperDir, IReadOnlyList<string> lowerDirsTopFirst)
    {
        var result = new List<(string, PodShell.ChangeKind)>();
        if (FileStatus.TryLStat(upperDir) is not { IsDirectory: true })
            return result;
        // The upper dir is a running container's: walked by descriptor (names opened relative to their directory,
        // O_NOFOLLOW), so a directory it swaps for a symlink mid-walk never leads the walk into host directories.
        using var upper = DirectoryHandle.Open(upperDir);
        Walk(upper, "", lowerDirsTopFirst, result);
        return result;
    }

    // Returns true when anything at or below dir was reported.
    private static bool Walk(DirectoryHandle upper, string inside, IReadOnlyList<string> lowers, List<(string, PodShell.ChangeKind)> result)
    {
        bool any = false;
        foreach (var name in upper.Names())
        {
            var path = inside + "/" + name;
            if (upper.StatAt(name) is not { } st) continue;
            if (st.IsCharDevice && st.RdevMajor == 0 && st.RdevMinor == 0)
            {
                result.Add((path, PodShell.ChangeKind.Deleted));
                any = true;
                continue;
            }
            var below = Lower(lowers, path);
            if (st.IsDirectory)
            {
                int at = result.Count;
                DirectoryHandle dir;
                try { dir = upper.OpenDirectoryAt(name); }
                catch (IOException e) when (DirectoryHandle.ChangedMeanwhile(e)) { continue; } // replaced by a link or removed since the stat
                using var _ = dir;
                bool opaque = OverlayXattr.IsOpaque(dir);
                bool childChanges = Walk(dir, path, lowers, result);
                if (opaque && below is not null)
                {
                    // podman's quirk (design.md, Upstream U5): "D /dir" although the directory exists, then its contents.
                    result.Insert(at, (path, PodShell.ChangeKind.Deleted));
                    any = true;
                }
                else if (below is null)
                {
                    // A new directory holding only engine placeholders (runc made /run for .containerenv) is the engine's.
                    bool onlyPlaceholders = !childChanges && dir.Names().Count > 0;
                    if (!onlyPlaceholders)
                    {
                        result.Insert(at, (path, PodShell.ChangeKind.Added));
                        any = true;
                    }
                }
                else if (childChanges || below.Value.Permissions != st.Permissions || below.Value.Uid != st.Uid || below.Value.Gid != st.Gid)
                {
                    result.Insert(at, (path, PodShell.ChangeKind.Changed));
                    any = true;
                }
                continue;
            }
            if (EnginePlaceholders.Contains(path)) continue;
            result.Add((path, below is null ? PodShell.ChangeKind.Added : PodShell.ChangeKind.Changed));
            any = true;
        }
        return any;
    }

    // The path as the lower stack shows it: the first layer that has it, stopping at a whiteout or an
    // opaque directory on the way down. A symlink on the way is not followed (overlay does not merge below one,
    // and a layer's link to /etc must not make the host's /etc answer).
    private static FileStatusInfo? Lower(IReadOnlyList<string> lowers, string path)
    {
        foreach (var lower in lowers)
        {
            if (RootedPath.LStatBeneath(lower, path) is { } st)
                return st.IsCharDevice && st.RdevMajor == 0 && st.RdevMinor == 0 ? null : st;
        }
        return null;
    }
}
