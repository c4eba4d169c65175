using PodShell.Engine.Images;
using PodShell.Engine.Images.Registry;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>Pull an image from a registry (OCI distribution API) and register it under its fully
    /// qualified name (registry/repository:tag, or registry/repository@digest when pulled by digest).
    /// Runs on the calling thread; <paramref name="progress"/> is reported synchronously on it. Layers
    /// whose chain id is already in the layer store are not downloaded. Cancellation leaves no partial
    /// blob or layer and registers nothing.</summary>
    public ContainerImage PullImage(string reference, PullOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        Blobs.RemoveStaleTemp();
        return new ImagePuller(this, options ?? new PullOptions(), progress, ct).Pull(reference);
    }

    /// <summary>Push a local image (name or id) to <paramref name="destination"/> (registry/repository:tag;
    /// an unqualified name goes to the first search registry). Pulled images are pushed unchanged; images
    /// imported from a root filesystem get a gzip layer, a new config and an OCI manifest first (kept in
    /// <see cref="Blobs"/>). Runs and reports progress on the calling thread.</summary>
    public PushResult PushImage(string localImage, string destination, PushOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var image = ResolveImage(localImage);
        return new ImagePusher(this, options ?? new PushOptions(), progress, ct).Push(image, destination);
    }

    /// <summary>Give a registered image a registry name. Registry names may hold a port and a digest,
    /// which the local-name rule (ImageReference.IsValid) does not accept, so the name is validated as a
    /// registry reference instead.</summary>
    internal ContainerImage NameImage(ContainerImage image, string name)
    {
        var canonical = RegistryReference.Parse(name).ToString();
        Store.PutImage(new ContainerImage { Id = image.Id, Names = new[] { canonical }, Digest = image.Digest, Created = image.Created });
        return GetImages().First(i => i.Id == image.Id);
    }
}
