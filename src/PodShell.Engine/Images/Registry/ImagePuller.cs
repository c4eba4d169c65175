using System.Text;

namespace PodShell.Engine.Images.Registry;

/// <summary>The pull sequence of design.md, Upstream U6: manifest (an index picks a platform), config,
/// then only the layers whose chain id is not already in the layer store; every blob verified by the
/// blob store; the image registered only when all of them are there.</summary>
internal sealed class ImagePuller
{
    private readonly EngineContext _ctx;
    private readonly ImageRegistrar _registrar;
    private readonly PullOptions _o;
    private readonly IProgress<TransferProgress>? _progress;
    private readonly CancellationToken _ct;

    public ImagePuller(EngineContext ctx, ImageRegistrar registrar, PullOptions o, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        _ctx = ctx;
        _registrar = registrar;
        _o = o;
        _progress = progress;
        _ct = ct;
    }

    public ContainerImage Pull(string reference)
    {
        var platform = _o.Platform is { Length: > 0 } p ? Platform.Parse(p) : Platform.Host;
        var candidates = RegistryReference.Candidates(reference, _o.SearchRegistries);
        PodShellException? last = null;
        foreach (var r in candidates)
        {
            try
            {
                return Pull(r, platform);
            }
            // An unqualified name goes on to the next search registry only when this one lacks the image
            // or cannot be reached; a verification or auth failure is an answer, not a miss.
            catch (PodShellException e) when (candidates.Count > 1 && e.ErrorId is ErrorIds.ImageNotFoundInRegistry or ErrorIds.RegistryUnreachable)
            {
                last = e;
            }
        }
        throw last!;
    }

    private ContainerImage Pull(RegistryReference r, Platform platform)
    {
        using var client = RegistryClient.For(r, _o.Credentials, _o.AllowInsecure);
        Report(TransferPhase.Manifest, 0, 0, "", 0, 0, $"Resolving {r}");
        var (bytes, mediaType, contentDigest) = client.GetManifest(r.Repository, r.ManifestReference, _ct);
        var manifestDigest = VerifyManifest(bytes, r.Digest ?? contentDigest, r.ToString());
        var manifest = ImageManifest.Parse(bytes, mediaType);
        if (manifest.IsIndex)
        {
            var chosen = manifest.SelectPlatform(platform);
            Report(TransferPhase.Manifest, 0, 0, chosen.Digest, 0, 0, $"Platform {chosen.Platform?.ToString() ?? platform.ToString()}: {chosen.Digest}");
            (bytes, mediaType, _) = client.GetManifest(r.Repository, chosen.Digest, _ct);
            manifestDigest = VerifyManifest(bytes, chosen.Digest, r.ToString());
            manifest = ImageManifest.Parse(bytes, mediaType ?? chosen.MediaType);
            if (manifest.IsIndex)
                throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.NotSupported, $"The index entry {chosen.Digest} is itself an index.", chosen.Digest);
        }

        int count = manifest.Layers.Count + 1;
        var config = manifest.Config!;
        if (!_ctx.Blobs.Has(config.Digest))
            Fetch(client, r, config.Digest, config.Size, 0, count, "config");
        else
            Report(TransferPhase.Skipped, 0, count, config.Digest, 0, config.Size, "Config already present");
        var configBytes = _ctx.Blobs.ReadAll(config.Digest);
        var diffIds = OciImageConfig.Parse(configBytes).DiffIds;
        if (diffIds.Length != manifest.Layers.Count)
            throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.InvalidArgument,
                $"The manifest lists {manifest.Layers.Count} layer(s) but its config has {diffIds.Length} diff_id(s).", r.ToString());

        var blobs = new List<LayerBlob>();
        string? chain = null;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            _ct.ThrowIfCancellationRequested();
            var l = manifest.Layers[i];
            if (l.MediaType.Contains("foreign") || l.MediaType.Contains("nondistributable"))
                throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.NotSupported,
                    $"Layer {l.Digest} has the non-distributable media type '{l.MediaType}', which PodShell does not fetch.", l.Digest);
            chain = ImageRegistrar.ChainId(chain, diffIds[i]);
            if (_ctx.Layers.Exists(chain) || _ctx.Blobs.Has(l.Digest))
                Report(TransferPhase.Skipped, i + 1, count, l.Digest, 0, l.Size, $"Layer {i + 1}/{manifest.Layers.Count} already present");
            else
                Fetch(client, r, l.Digest, l.Size, i + 1, count, $"layer {i + 1}/{manifest.Layers.Count}");
            blobs.Add(new LayerBlob(l.Digest, l.MediaType, l.Size));
        }

        Report(TransferPhase.Registering, count, count, manifestDigest, 0, 0, "Unpacking layers");
        var image = _registrar.Register(configBytes, blobs, Array.Empty<string>(), bytes,
            (i, n, b) => Report(TransferPhase.Registering, i + 1, count, b.Digest, 0, 0, $"Unpacking layer {i + 1}/{n}"), _ct);
        return _registrar.Name(image, r.ToString());
    }

    private void Fetch(RegistryClient client, RegistryReference r, string digest, long size, int index, int count, string what)
    {
        Report(TransferPhase.Transferring, index, count, digest, 0, size, $"Downloading {what}");
        client.GetBlob(r.Repository, digest, _ctx.Blobs,
            read => Report(TransferPhase.Transferring, index, count, digest, read, size, $"Downloading {what}"), _ct);
        Report(TransferPhase.Done, index, count, digest, size, size, $"Downloaded {what}");
    }

    /// <summary>A manifest by digest must hash to it; by tag, to the Docker-Content-Digest header when
    /// the registry sends one (containers/image manifest.MatchesDigest).</summary>
    private static string VerifyManifest(byte[] bytes, string? expected, string what)
    {
        var actual = BlobStore.Digest(bytes);
        if (expected is not null && BlobStore.IsValidDigest(expected) && actual != expected)
            throw new PodShellException(ErrorIds.DigestMismatch, FailureKind.InvalidArgument,
                $"The manifest of {what} hashes to {actual}, not the expected {expected}; it was refused.", what);
        return actual;
    }

    private void Report(TransferPhase phase, int index, int count, string digest, long bytes, long total, string description) =>
        _progress?.Report(new TransferProgress(phase, index, count, digest, bytes, total, description));
}
