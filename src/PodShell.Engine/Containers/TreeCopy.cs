using Microsoft.Win32.SafeHandles;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>Copies a file tree like cp -a without owners: regular files (mode and mtime kept), directories
/// and symlinks (as links, never followed), between a host path (the user's, used as a path) and a container's
/// root (used only through descriptors). The container may change its tree while we copy (issue 15: a directory
/// swapped for a symlink to a host path in a loop), so no container-side path string is ever handed to the
/// kernel whole: each is resolved with <see cref="RootedPath"/> from the root's descriptor, and files are
/// created, opened and stamped relative to the descriptor of their directory, with O_NOFOLLOW.</summary>
internal static class TreeCopy
{
    /// <summary>Host <paramref name="source"/> to <paramref name="target"/> inside the root. Each entry's path is
    /// resolved inside the root as it is created (an existing symlink at a destination name is followed, inside the
    /// root, as before), and the entry is made relative to its parent's descriptor.</summary>
    public static void CopyIn(string source, SafeFileHandle root, string target, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (FileStatus.TryLStat(source) is not { } st) return;
        var (parent, name) = Locate(root, target);
        using (parent)
        {
            var existing = name is null ? parent.Status() : parent.StatAt(name);
            if (st.IsDirectory)
            {
                if (existing is { IsDirectory: false })
                    throw new PodShellException(ErrorIds.DestinationNotDirectory, FailureKind.InvalidArgument,
                        $"Cannot copy directory '{source}' over the file '{target}'.", target);
                bool created = existing is null;
                if (created) parent.MakeDirectoryAt(name!, 0x1C0);
                using (var dir = name is null ? null : parent.OpenDirectoryAt(name))
                {
                    if (created) dir!.SetMode(st.Permissions);
                    var names = new DirectoryInfo(source).EnumerateFileSystemInfos().Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
                    foreach (var child in names)
                        CopyIn(source + "/" + child, root, target.TrimEnd('/') + "/" + child, ct);
                    if (created) dir!.SetTimes(st.ModificationTime);
                }
                return;
            }
            if (name is null || existing is { IsDirectory: true })
                throw new PodShellException(ErrorIds.DestinationIsDirectory, FailureKind.InvalidArgument,
                    $"Cannot copy file '{source}' over the directory '{target}'.", target);
            if (st.IsSymlink)
            {
                var link = new FileInfo(source).LinkTarget ?? "";
                if (existing is not null) parent.UnlinkAt(name);
                parent.SymlinkAt(link, name);
                parent.SetTimesAt(name, st.ModificationTime);
                return;
            }
            if (!st.IsRegularFile) return; // devices, fifos and sockets are not copied (podman cp skips them too)
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var output = parent.CreateAt(name);
            input.CopyTo(output);
            output.Flush();
            DirectoryHandle.SetMode(output.SafeFileHandle, st.Permissions);
            DirectoryHandle.SetTimes(output.SafeFileHandle, st.ModificationTime);
        }
    }

    /// <summary>The entry <paramref name="node"/> (an O_PATH descriptor from inside a root) to the host path
    /// <paramref name="dest"/>. Children are opened relative to their directory's descriptor with O_NOFOLLOW, so
    /// a directory swapped for a symlink mid-copy is copied as the link, never followed.</summary>
    public static void CopyOut(SafeFileHandle node, string dest, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var st = DirectoryHandle.StatusOf(node);
        if (st.IsDirectory)
        {
            var existing = FileStatus.TryLStat(dest);
            if (existing is { IsDirectory: false })
                throw new PodShellException(ErrorIds.DestinationNotDirectory, FailureKind.InvalidArgument,
                    $"Cannot copy a directory over the file '{dest}'.", dest);
            if (existing is null)
            {
                Directory.CreateDirectory(dest);
                FileOwnership.Chmod(dest, st.Permissions);
            }
            // Not disposed here: the caller owns node.
            var dir = DirectoryHandle.Adopt(node);
            foreach (var name in dir.Names())
            {
                if (RootedPath.OpenAt(node, name, RootedPath.O_PATH | RootedPath.O_NOFOLLOW, out var child) != 0)
                    continue; // removed meanwhile
                using (child) CopyOut(child!, dest.TrimEnd('/') + "/" + name, ct);
            }
            if (existing is null)
                FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
            return;
        }
        if (FileStatus.TryLStat(dest) is { IsDirectory: true })
            throw new PodShellException(ErrorIds.DestinationIsDirectory, FailureKind.InvalidArgument,
                $"Cannot copy a file over the directory '{dest}'.", dest);
        if (st.IsSymlink)
        {
            var link = DirectoryHandle.ReadLink(node, "");
            if (FileStatus.TryLStat(dest) is not null) File.Delete(dest);
            File.CreateSymbolicLink(dest, link);
            FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
            return;
        }
        if (!st.IsRegularFile) return;
        // Reopen the O_PATH descriptor for reading through its /proc/self/fd link: the same inode, whatever path
        // led to it (our own magic link, not one inside the container).
        using (var input = new FileStream($"/proc/self/fd/{(int)node.DangerousGetHandle()}", FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var output = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            input.CopyTo(output);
        FileOwnership.Chmod(dest, st.Permissions);
        FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
    }

    /// <summary>The directory that holds <paramref name="pathInside"/> (a descriptor) and its last name, a symlink
    /// there followed inside the root (so copying to an existing link writes where the link leads in the
    /// container, as path resolution would). Name null: the path is the root or ends in "." or "..", and the
    /// descriptor is the directory itself.</summary>
    internal static (DirectoryHandle Parent, string? Name) Locate(SafeFileHandle root, string pathInside)
    {
        string path = pathInside;
        for (int links = 0; links <= RootedPath.MaxSymlinks; links++)
        {
            string trimmed = path.TrimEnd('/');
            int slash = trimmed.LastIndexOf('/');
            string name = trimmed[(slash + 1)..];
            string parentPath = slash < 0 ? "." : (slash == 0 ? "/" : trimmed[..slash]);
            if (name.Length == 0 || name is "." or "..")
                return (OpenDirectory(root, trimmed.Length == 0 ? "/" : trimmed, pathInside), null);
            var parent = OpenDirectory(root, parentPath, pathInside);
            if (parent.StatAt(name) is not { IsSymlink: true })
                return (parent, name);
            string target;
            try { target = parent.ReadLinkAt(name); }
            finally { parent.Dispose(); }
            // The kernel resolves "parent/target" as following the link would: "..", absolute targets and
            // symlinks in parent included, all inside the root.
            path = target.StartsWith('/') ? target : parentPath.TrimEnd('/') + "/" + target;
        }
        throw new PodShellException(ErrorIds.TooManySymlinks, FailureKind.InvalidArgument,
            $"Too many levels of symbolic links resolving '{pathInside}' in the container.", pathInside);
    }

    private static DirectoryHandle OpenDirectory(SafeFileHandle root, string path, string shown)
    {
        int errno = RootedPath.TryOpen(root, path, followFinal: true, out var h);
        if (errno == RootedPath.ELOOP)
            throw new PodShellException(ErrorIds.TooManySymlinks, FailureKind.InvalidArgument,
                $"Too many levels of symbolic links resolving '{shown}' in the container.", shown);
        if (errno is RootedPath.ENOENT or RootedPath.ENOTDIR)
            throw new PodShellException(ErrorIds.DestinationParentNotFound, FailureKind.NotFound,
                $"The directory that would hold '{shown}' does not exist.", shown);
        if (errno != 0) throw DirectoryHandle.Error("openat2", path, errno);
        var dir = DirectoryHandle.Adopt(h!);
        if (!dir.Status().IsDirectory)
        {
            dir.Dispose();
            throw new PodShellException(ErrorIds.DestinationParentNotFound, FailureKind.NotFound,
                $"The directory that would hold '{shown}' does not exist.", shown);
        }
        return dir;
    }
}
