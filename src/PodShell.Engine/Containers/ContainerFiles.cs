using PodShell.Engine.Images.Archive;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Containers;

/// <summary>The files of a container, running or not: copies in and out (podman cp), the export of its root filesystem
/// (podman export), and what it changed against its image (podman diff). A stopped container's rootfs is held and
/// mounted for the call (<see cref="ContainerRootfs.With"/>).</summary>
internal sealed class ContainerFiles
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerRootfs _rootfs;
    private readonly IContainerImages _images;

    public ContainerFiles(EngineContext ctx, ContainerHandles handles, ContainerRootfs rootfs, IContainerImages images)
    {
        _ctx = ctx;
        _handles = handles;
        _rootfs = rootfs;
        _images = images;
    }

    /// <summary>Writes the container's root filesystem as one tar (podman export): what the container sees
    /// at /, volumes and bind mounts excluded.</summary>
    public void Export(string nameOrId, Stream output, CancellationToken ct = default)
    {
        var c = _handles.Get(nameOrId);
        _rootfs.With(c, merged =>
        {
            // The merged view has no whiteouts, so the layer writer gives a plain root filesystem tar.
            DiffTarWriter.Write(merged, output, ct, _ctx.Host.TarOwners);
            return 0;
        });
    }

    /// <summary>Copies from the container's <paramref name="pathInside"/> to the host path <paramref name="hostDestination"/>
    /// (podman cp). The source path is resolved inside the container: its symlinks never lead to host files.
    /// Returns the host paths of what was written (the top one first).</summary>
    public string CopyFrom(string nameOrId, string pathInside, string hostDestination, CancellationToken ct = default)
    {
        var c = _handles.Get(nameOrId);
        return _rootfs.With(c, merged =>
        {
            using var root = RootedPath.OpenRoot(merged);
            int errno = RootedPath.TryOpen(root, pathInside, followFinal: true, out var source);
            if (errno is RootedPath.ENOENT or RootedPath.ENOTDIR)
                throw new PodShellException(ErrorIds.PathNotFoundInContainer, FailureKind.NotFound,
                    $"'{pathInside}' does not exist in container '{c.Name}'.", pathInside);
            if (errno == RootedPath.ELOOP)
                throw new PodShellException(ErrorIds.TooManySymlinks, FailureKind.InvalidArgument,
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
    public string CopyTo(string hostSource, string nameOrId, string pathInside, CancellationToken ct = default)
    {
        var c = _handles.Get(nameOrId);
        if (c.ReadOnly)
            throw new PodShellException(ErrorIds.ContainerReadOnly, FailureKind.InvalidState,
                $"Container '{c.Name}' has a read-only root filesystem.", c);
        if (FileStatus.TryLStat(hostSource.EndsWith("/.") ? hostSource[..^2] : hostSource) is null)
            throw new PodShellException(ErrorIds.PathNotFound, FailureKind.NotFound, $"'{hostSource}' does not exist.", hostSource);
        return _rootfs.With(c, merged =>
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
            throw new PodShellException(ErrorIds.TooManySymlinks, FailureKind.InvalidArgument,
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
            throw new PodShellException(ErrorIds.DestinationNotDirectory, FailureKind.InvalidArgument, $"'{shown}' is not a directory.", shown);
        if (destIsDir && !contents)
            return destination.TrimEnd('/') + "/" + sourceName;
        var trimmed = destination.TrimEnd('/');
        var parent = trimmed.Contains('/') ? trimmed[..trimmed.LastIndexOf('/')] : ".";
        if (!destIsDir && stat(parent.Length == 0 ? "/" : parent) is not { IsDirectory: true })
            throw new PodShellException(ErrorIds.DestinationParentNotFound, FailureKind.NotFound,
                $"The directory that would hold '{shown}' does not exist.", shown);
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    /// <summary>The container's upper dir and its image's layer dirs (top first), and the image (null when it is gone).</summary>
    internal (string Upper, IReadOnlyList<string> LowersTopFirst, ContainerImage? Image) LayerDirs(Container c)
    {
        var image = _images.List().FirstOrDefault(i => i.Id == c.ImageId);
        var upper = Path.Combine(_ctx.Layers.Root, c.Id, "diff");
        var lowers = image is null ? (IReadOnlyList<string>)Array.Empty<string>()
            : Enumerable.Reverse(image.Layers).Where(_ctx.Layers.Exists).Select(l => _ctx.Layers.Get(l).DiffDir).ToList();
        return (upper, lowers, image);
    }

    /// <summary>What the container added, changed and deleted (podman diff), read from its upper dir against
    /// the image's layers; the files the engine itself places (/etc/hosts, /etc/hostname, /etc/resolv.conf,
    /// /run/.containerenv) are left out. Works on stopped containers too.</summary>
    public IReadOnlyList<ContainerChange> Changes(string nameOrId)
    {
        var c = _handles.Get(nameOrId);
        var (upper, lowers, _) = LayerDirs(c);
        return OverlayChanges.Read(upper, lowers)
            .Select(x => new ContainerChange { ContainerId = c.Id, ContainerName = c.Name, Path = x.Path, Kind = x.Kind })
            .ToList();
    }
}
