using PodShell.Engine.Images;
using PodShell.Engine.Layers;

namespace PodShell.Engine;

/// <summary>A layer of an image being registered: its blob as received (compressed or not).</summary>
public sealed record LayerBlob(string Digest, string MediaType, long Size);

public sealed partial class ContainerEngine
{

    /// <summary>Manifests, configs and compressed layers exactly as received.</summary>
    public BlobStore Blobs => Context.Blobs;

    /// <summary>Register an image whose config and layer blobs are already in <see cref="Blobs"/> (put there,
    /// verified, by an archive reader or the registry client). Each layer is applied unless a layer with
    /// the same chain id exists; its uncompressed digest must equal the config's diff_id. Nothing is
    /// registered unless every layer is whole and verified. The manifest (if any) is kept as a blob and
    /// becomes the image's Digest.</summary>
    public ContainerImage RegisterImage(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names,
        byte[]? manifestJson = null, Action<int, int, LayerBlob>? layerProgress = null, CancellationToken ct = default)
    {
        var config = OciImageConfig.Parse(configJson);
        if (config.DiffIds.Length != layers.Count)
            throw new PodShellException("InvalidImageConfig", FailureKind.InvalidArgument,
                $"The manifest lists {layers.Count} layer(s) but the config has {config.DiffIds.Length} diff_id(s).", null);
        foreach (var n in names)
            if (!ImageReference.IsValid(n))
                throw new PodShellException("InvalidImageName", FailureKind.InvalidArgument, $"'{n}' is not a valid image name.", n);

        SweepIncompleteLayers();
        var layerIds = new List<string>();
        string? parent = null;
        long size = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            layerProgress?.Invoke(i, layers.Count, layers[i]);
            var expectedId = ChainId(parent, config.DiffIds[i]);
            LayerInfo info;
            if (Layers.Exists(expectedId))
            {
                info = Layers.Get(expectedId);
            }
            else
            {
                info = ApplyBlobLayer(layers[i], parent, ct);
                if (info.DiffId != config.DiffIds[i])
                {
                    // The blob's digest matched the manifest, but what it unpacks to is not what the
                    // config promises: refuse the image, and drop the layer we just made from it.
                    TryDeleteUnusedLayer(info.Id);
                    throw new PodShellException("DiffIdMismatch", FailureKind.InvalidArgument,
                        $"Layer {i + 1} ({layers[i].Digest}) unpacks to {info.DiffId}, but the image config says {config.DiffIds[i]}; the image was refused.", layers[i].Digest);
                }
            }
            Store.PutLayer(info.Id, info.DiffId, parent, info.Size);
            layerIds.Add(info.Id);
            size += info.Size;
            parent = info.Id;
        }

        var configDigest = Blobs.Put(configJson);
        var digest = manifestJson != null ? Blobs.Put(manifestJson) : configDigest;
        var image = new ContainerImage
        {
            Id = configDigest[7..],
            Names = names.Select(ImageReference.Normalize).Distinct().ToArray(),
            Digest = digest,
            Created = config.Created,
            Size = size,
            Architecture = config.Architecture,
            Os = config.Os,
            Layers = layerIds.ToArray(),
            Config = config.Config,
        };
        Store.PutImage(image);
        return GetImages().First(i => i.Id == image.Id);
    }

    /// <summary>OCI chain id: the diff id for a base layer, else sha256("&lt;parent chain&gt; &lt;diff id&gt;").</summary>
    public static string ChainId(string? parentChainId, string diffId) =>
        parentChainId is null ? diffId[7..]
            : BlobStore.Digest(System.Text.Encoding.ASCII.GetBytes($"sha256:{parentChainId} {diffId}"))[7..];

    private LayerInfo ApplyBlobLayer(LayerBlob blob, string? parent, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                using var s = Blobs.Open(blob.Digest);
                return Layers.ApplyTar(s, parent, ct);
            }
            catch (PodShellException e) when (e.ErrorId == "LayerBusy" && DateTime.UtcNow < deadline)
            {
                // Another pwsh is unpacking the same layer right now: wait for it rather than fail.
                ct.WaitHandle.WaitOne(200);
                ct.ThrowIfCancellationRequested();
            }
        }
    }

    private void TryDeleteUnusedLayer(string layerId)
    {
        if (Store.GetLayer(layerId) != null) return;
        try { Layers.Delete(layerId); } catch (PodShellException) { }
    }
}
