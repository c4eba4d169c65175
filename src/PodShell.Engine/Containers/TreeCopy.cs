using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>Copies a file tree like cp -a without owners: regular files (mode and mtime kept), directories
/// and symlinks (as links, never followed). Every destination path goes through <c>resolve</c> as it is
/// created, so a copy into a container resolves each path inside the container's root.</summary>
internal static class TreeCopy
{
    public static void Copy(string source, string target, Func<string, string> resolve, bool contents, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (FileStatus.TryLStat(source) is not { } st) return;
        var dest = resolve(target);
        if (st.IsDirectory)
        {
            var existing = FileStatus.TryLStat(dest);
            if (existing is { IsDirectory: false })
                throw new PodShellException("DestinationNotDirectory", FailureKind.InvalidArgument,
                    $"Cannot copy directory '{source}' over the file '{target}'.", target);
            if (existing is null)
            {
                Directory.CreateDirectory(dest);
                FileOwnership.Chmod(dest, st.Permissions);
            }
            var names = new DirectoryInfo(source).EnumerateFileSystemInfos().Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
            foreach (var name in names)
                Copy(source + "/" + name, target.TrimEnd('/') + "/" + name, resolve, false, ct);
            if (existing is null)
                FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
            return;
        }
        if (FileStatus.TryLStat(dest) is { IsDirectory: true })
            throw new PodShellException("DestinationIsDirectory", FailureKind.InvalidArgument,
                $"Cannot copy file '{source}' over the directory '{target}'.", target);
        if (st.IsSymlink)
        {
            var link = new FileInfo(source).LinkTarget ?? "";
            if (FileStatus.TryLStat(dest) is not null) File.Delete(dest);
            File.CreateSymbolicLink(dest, link);
            FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
            return;
        }
        if (!st.IsRegularFile) return; // devices, fifos and sockets are not copied (podman cp skips them too)
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var output = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            input.CopyTo(output);
        FileOwnership.Chmod(dest, st.Permissions);
        FileTimes.SetNoFollow(dest, st.ModificationTime, st.ModificationTime);
    }
}
