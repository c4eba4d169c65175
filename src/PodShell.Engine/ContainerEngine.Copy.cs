using PodShell.Engine.Containers;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>Runs <paramref name="work"/> with the container's root filesystem mounted (it is while the
    /// container runs; a stopped one is mounted for the call and unmounted after). The call holds the mount
    /// (<see cref="HoldRootfs"/>): a second copy at the same time keeps it mounted until both are done, and a call
    /// killed before its unmount leaves a hold of a dead process, which the next reconcile ends by unmounting.</summary>
    private T WithRootfs<T>(Container c, Func<string, T> work)
    {
        var hold = HoldRootfs(c);
        try
        {
            return work(RootfsView(c.Id));
        }
        finally
        {
            // Another caller may have started the container meanwhile: only an exited container's rootfs is unmounted.
            try { ReleaseRootfs(c.Id, hold); } catch (PodShellException) { }
        }
    }

    /// <summary>Writes the container's root filesystem as one tar (podman export): what the container sees
    /// at /, volumes and bind mounts excluded.</summary>
    public void ExportContainer(string nameOrId, Stream output, CancellationToken ct = default)
    {
        var c = GetContainer(nameOrId);
        WithRootfs(c, merged =>
        {
            // The merged view has no whiteouts, so the layer writer gives a plain root filesystem tar.
            DiffTarWriter.Write(merged, output, ct, TarOwners);
            return 0;
        });
    }

    /// <summary>Copies from the container's <paramref name="pathInside"/> to the host path <paramref name="hostDestination"/>
    /// (podman cp). The source path is resolved inside the container: its symlinks never lead to host files.
    /// Returns the host paths of what was written (the top one first).</summary>
    public string CopyFromContainer(string nameOrId, string pathInside, string hostDestination, CancellationToken ct = default)
    {
        var c = GetContainer(nameOrId);
        return WithRootfs(c, merged =>
        {
            using var root = RootedPath.OpenRoot(merged);
            int errno = RootedPath.TryOpen(root, pathInside, followFinal: true, out var source);
            if (errno is RootedPath.ENOENT or RootedPath.ENOTDIR)
                throw new PodShellException("PathNotFoundInContainer", FailureKind.NotFound,
                    $"'{pathInside}' does not exist in container '{c.Name}'.", pathInside);
            if (errno == RootedPath.ELOOP)
                throw new PodShellException("TooManySymlinks", FailureKind.InvalidArgument,
                    $"Too many levels of symbolic links resolving '{pathInside}' in container '{c.Name}'.", pathInside);
            if (errno != 0) throw new IOException($"{pathInside}: {Errno.Describe(errno)}", errno);
            using (source)
            {
                bool contents = pathInside.EndsWith("/.", StringComparison.Ordinal);
                // The name the source has where the path led (a link's target keeps its own name, as before):
                // the descriptor's /proc link, which names the inode actually opened.
                var opened = new FileInfo($"/proc/self/fd/{(int)source!.DangerousGetHandle()}").LinkTarget ?? pathInside;
                var target = CopyTarget(hostDestination, Path.GetFileName(opened.TrimEnd('/')), contents, p => FileStatus.TryLStat(p), hostDestination);
                TreeCopy.CopyOut(source, target, ct);
                return target;
            }
        });
    }

    /// <summary>Copies the host path <paramref name="hostSource"/> into the container at <paramref name="pathInside"/>.
    /// Every destination path is resolved inside the container's root (chroot-like): a symlink to /etc in the
    /// container leads to the container's /etc, never the host's. Returns the path written, inside the container.</summary>
    public string CopyToContainer(string hostSource, string nameOrId, string pathInside, CancellationToken ct = default)
    {
        var c = GetContainer(nameOrId);
        if (c.ReadOnly)
            throw new PodShellException("ContainerReadOnly", FailureKind.InvalidState,
                $"Container '{c.Name}' has a read-only root filesystem.", c);
        if (FileStatus.TryLStat(hostSource.EndsWith("/.") ? hostSource[..^2] : hostSource) is null)
            throw new PodShellException("PathNotFound", FailureKind.NotFound, $"'{hostSource}' does not exist.", hostSource);
        return WithRootfs(c, merged =>
        {
            bool contents = hostSource.EndsWith("/.", StringComparison.Ordinal);
            var src = Path.GetFullPath(contents ? hostSource[..^2] : hostSource);
            var insideAbs = pathInside.StartsWith('/') ? pathInside : (c.WorkingDirectory.TrimEnd('/') + "/" + pathInside);
            using var root = RootedPath.OpenRoot(merged);
            var target = CopyTarget(insideAbs, Path.GetFileName(src.TrimEnd('/')), contents, p => StatInside(root, p), pathInside);
            // Every path is resolved again from the root's descriptor as it is created, and written through the
            // descriptor of its directory: a link made meanwhile cannot lead out either.
            TreeCopy.CopyIn(src, root, target, ct);
            return target;
        });
    }

    /// <summary>stat of a path inside the root (links followed inside it), or null when it does not resolve.</summary>
    private static FileStatusInfo? StatInside(Microsoft.Win32.SafeHandles.SafeFileHandle root, string pathInside)
    {
        int errno = RootedPath.TryOpen(root, pathInside, followFinal: true, out var h);
        if (errno is RootedPath.ENOENT or RootedPath.ENOTDIR) return null;
        if (errno == RootedPath.ELOOP)
            throw new PodShellException("TooManySymlinks", FailureKind.InvalidArgument,
                $"Too many levels of symbolic links resolving '{pathInside}' in the container.", pathInside);
        if (errno != 0) throw new IOException($"{pathInside}: {Errno.Describe(errno)}", errno);
        using (h) return DirectoryHandle.StatusOf(h!);
    }

    // podman cp's rules: into an existing directory the source keeps its name; else the destination is the new
    // name, and its parent must exist. "src/." copies the directory's contents.
    private static string CopyTarget(string destination, string sourceName, bool contents, Func<string, FileStatusInfo?> stat, string shown)
    {
        var st = stat(destination);
        bool destIsDir = st is { IsDirectory: true };
        if (destination.EndsWith('/') && st is not null && !destIsDir)
            throw new PodShellException("DestinationNotDirectory", FailureKind.InvalidArgument, $"'{shown}' is not a directory.", shown);
        if (destIsDir && !contents)
            return destination.TrimEnd('/') + "/" + sourceName;
        var trimmed = destination.TrimEnd('/');
        var parent = trimmed.Contains('/') ? trimmed[..trimmed.LastIndexOf('/')] : ".";
        if (!destIsDir && stat(parent.Length == 0 ? "/" : parent) is not { IsDirectory: true })
            throw new PodShellException("DestinationParentNotFound", FailureKind.NotFound,
                $"The directory that would hold '{shown}' does not exist.", shown);
        return trimmed.Length == 0 ? "/" : trimmed;
    }
}
