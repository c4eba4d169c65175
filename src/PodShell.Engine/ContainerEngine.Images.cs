using PodShell.Engine.Images;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Images.Registry;

namespace PodShell.Engine;

// The image half of the facade: one-line forwards to the image services (Images/, docs/design.md "Image services"),
// so the cmdlets, the tests and the container code keep the names they had.
public sealed partial class ContainerEngine
{
    private readonly StoreSweeper _sweeper;
    private readonly GarbageCollector _gc;
    private readonly ImageRegistrar _registrar;
    private readonly ImageService _images;
    private readonly ImageArchiveService _archives;
    private readonly RegistryService _registry;
    private readonly StorageUsageReport _storageUsage;

    /// <summary>Manifests, configs and compressed layers exactly as received.</summary>
    public BlobStore Blobs => Context.Blobs;

    /// <summary>Import a root filesystem (tar, tar.gz or directory) as a one-layer image, like podman import.</summary>
    public ContainerImage ImportImage(string path, string name, ImageConfig? config = null, Action<long, long>? progress = null, CancellationToken ct = default) =>
        _registrar.ImportRootfs(path, name, config, progress, ct);

    /// <inheritdoc cref="ImageRegistrar.Register"/>
    public ContainerImage RegisterImage(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names,
        byte[]? manifestJson = null, Action<int, int, LayerBlob>? layerProgress = null, CancellationToken ct = default) =>
        _registrar.Register(configJson, layers, names, manifestJson, layerProgress, ct);

    /// <inheritdoc cref="ImageRegistrar.ChainId"/>
    public static string ChainId(string? parentChainId, string diffId) => ImageRegistrar.ChainId(parentChainId, diffId);

    public IReadOnlyList<ContainerImage> GetImages() => _images.List();

    /// <summary>By name (with the :latest and localhost/ spellings), full id, or unique id prefix.</summary>
    public ContainerImage ResolveImage(string nameOrId) => _images.Resolve(nameOrId);

    /// <summary>The image and, when it was found by one of its names, that name.</summary>
    public (ContainerImage Image, string? Name) ResolveImageName(string nameOrId) => _images.ResolveName(nameOrId);

    /// <inheritdoc cref="ImageService.Tag"/>
    public ContainerImage TagImage(string nameOrId, string newName) => _images.Tag(nameOrId, newName);

    /// <inheritdoc cref="ImageService.Remove"/>
    public (ContainerImage Image, bool Removed) RemoveImage(string nameOrId, bool force, CancellationToken ct = default) => _images.Remove(nameOrId, force, ct);

    /// <inheritdoc cref="ImageService.Prune"/>
    public IReadOnlyList<ContainerImage> PruneImages(bool all, Func<ContainerImage, bool>? confirm = null, CancellationToken ct = default) => _images.Prune(all, confirm, ct);

    /// <inheritdoc cref="GarbageCollector.Collect"/>
    public void CollectGarbage() => _gc.Collect();

    /// <inheritdoc cref="StoreSweeper.Sweep"/>
    internal void SweepStore() => _sweeper.Sweep();

    /// <inheritdoc cref="ImageArchiveService.Import"/>
    public IReadOnlyList<ContainerImage> ImportArchive(string path, string? name = null, ImageConfig? rootfsConfig = null,
        Action<ArchiveProgress>? progress = null, CancellationToken ct = default) => _archives.Import(path, name, rootfsConfig, progress, ct);

    /// <inheritdoc cref="ImageArchiveService.Export"/>
    public void ExportImages(IReadOnlyList<ContainerImage> images, string path, ImageArchiveFormat format,
        Action<ArchiveProgress>? progress = null, CancellationToken ct = default) => _archives.Export(images, path, format, progress, ct);

    /// <inheritdoc cref="ImageArchiveService.GetExportImage"/>
    public ExportImage GetExportImage(ContainerImage image, Action<ArchiveProgress>? progress = null, CancellationToken ct = default) =>
        _archives.GetExportImage(image, progress, ct);

    /// <inheritdoc cref="RegistryService.Pull"/>
    public ContainerImage PullImage(string reference, PullOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken ct = default) =>
        _registry.Pull(reference, options, progress, ct);

    /// <inheritdoc cref="RegistryService.Push"/>
    public PushResult PushImage(string localImage, string destination, PushOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken ct = default) =>
        _registry.Push(localImage, destination, options, progress, ct);

    /// <inheritdoc cref="StorageUsageReport.Measure"/>
    public IReadOnlyList<StorageUsage> GetStorageUsage(CancellationToken ct = default) =>
        _storageUsage.Measure(Services.Handles.List, () => VolumeService.GetVolumes(withSize: false), ct);
}
