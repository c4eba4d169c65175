using PodShell.Engine.Images.Registry;

namespace PodShell.Engine.Images;

/// <summary>Pull from and push to registries (OCI distribution API). The transfers are <see cref="ImagePuller"/> and
/// <see cref="ImagePusher"/>; a pulled image is recorded by <see cref="ImageRegistrar"/>, a pushed one found by
/// <see cref="ImageService"/>. Calls nothing above them.</summary>
internal sealed class RegistryService
{
    private readonly EngineContext _ctx;
    private readonly ImageRegistrar _registrar;
    private readonly ImageService _images;

    public RegistryService(EngineContext ctx, ImageRegistrar registrar, ImageService images)
    {
        _ctx = ctx;
        _registrar = registrar;
        _images = images;
    }

    /// <summary>Pull an image and register it under its fully qualified name (registry/repository:tag, or
    /// registry/repository@digest when pulled by digest). Runs on the calling thread; <paramref name="progress"/> is
    /// reported synchronously on it. Layers whose chain id is already in the layer store are not downloaded.
    /// Cancellation leaves no partial blob or layer and registers nothing.</summary>
    public ContainerImage Pull(string reference, PullOptions? options, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        _ctx.Blobs.RemoveStaleTemp();
        return new ImagePuller(_ctx, _registrar, options ?? new PullOptions(), progress, ct).Pull(reference);
    }

    /// <summary>Push a local image (name or id) to <paramref name="destination"/> (registry/repository:tag; an
    /// unqualified name goes to the first search registry). Pulled images are pushed unchanged; images imported from
    /// a root filesystem get a gzip layer, a new config and an OCI manifest first (kept in the blob store). Runs and
    /// reports progress on the calling thread.</summary>
    public PushResult Push(string localImage, string destination, PushOptions? options, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        var image = _images.Resolve(localImage);
        return new ImagePusher(_ctx, options ?? new PushOptions(), progress, ct).Push(image, destination);
    }
}
