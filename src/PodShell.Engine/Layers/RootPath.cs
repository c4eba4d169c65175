using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>Path resolution inside a root directory with chroot semantics, like filepath-securejoin's SecureJoin.
/// Layer tars and images are untrusted: an entry "x -> /etc" followed by "x/passwd" must land in
/// root/etc/passwd, never in the host's /etc.</summary>
public static class RootPath
{
    // filepath-securejoin's bound; the kernel's 40 counts per lookup, here one walk may pass many links.
    private const int MaxSymlinks = 255;

    /// <summary>Resolves <paramref name="pathInside"/> as if <paramref name="root"/> were "/": every component is
    /// looked up, symlinks (absolute or relative) are followed but clamped to root, ".." never leaves root. Returns
    /// an absolute host path under root, which may not exist (its missing tail is kept literally).</summary>
    public static string Resolve(string root, string pathInside)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(pathInside);
        string fullRoot = Path.GetFullPath(root).TrimEnd('/');

        var resolved = new List<string>();
        // Components still to walk, front at the end of the list so that pushing a link's target is cheap.
        var pending = new List<string>();
        PushFront(pending, pathInside);
        int symlinks = 0;

        while (pending.Count > 0)
        {
            string part = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            string candidate = Join(fullRoot, resolved) + "/" + part;
            var status = FileStatus.TryLStat(candidate);
            if (status is { IsSymlink: true })
            {
                if (++symlinks > MaxSymlinks)
                    throw new PodShellException(ErrorIds.TooManySymlinks, FailureKind.InvalidArgument,
                        $"Too many levels of symbolic links resolving '{pathInside}' under '{root}'.", pathInside);
                // Read as bytes: a target holding a byte that is not UTF-8 must resolve to that very name.
                string target = RawFiles.ReadLink(candidate) ?? "";
                // An absolute target restarts at the root; a relative one continues from the link's directory.
                if (target.StartsWith('/')) resolved.Clear();
                PushFront(pending, target);
                continue;
            }
            resolved.Add(part);
        }
        string result = Join(fullRoot, resolved);
        return result.Length == 0 ? "/" : result;
    }

    private static string Join(string root, List<string> parts)
        => parts.Count == 0 ? root : root + "/" + string.Join('/', parts);

    private static void PushFront(List<string> pending, string path)
    {
        string[] parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Add(parts[i]);
    }
}
