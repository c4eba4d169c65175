using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Images.Registry;

/// <summary>The push sequence of design.md, Upstream U6: for each blob (config, then layers) HEAD it and
/// upload only what the registry lacks, then PUT the manifest by tag. An image that came with a
/// manifest (pulled) is pushed byte for byte, so its digest stays the same. An image made from a root
/// filesystem has no manifest and no compressed layer: one is made (see <see cref="BuildManifest"/>).</summary>
internal sealed class ImagePusher
{
    private readonly EngineContext _ctx;
    private readonly PushOptions _o;
    private readonly IProgress<TransferProgress>? _progress;
    private readonly CancellationToken _ct;

    public ImagePusher(EngineContext ctx, PushOptions o, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        _ctx = ctx;
        _o = o;
        _progress = progress;
        _ct = ct;
    }

    public PushResult Push(ContainerImage image, string destination)
    {
        var r = RegistryReference.Parse(destination, RegistryReference.SearchRegistries()[0]);
        if (r.Digest is not null)
            throw new PodShellException(ErrorIds.InvalidImageReference, FailureKind.InvalidArgument,
                $"'{destination}' names a digest; push to a tag (registry/repository:tag).", destination);

        bool created = false;
        byte[] manifestBytes;
        if (image.Digest != "sha256:" + image.Id && _ctx.Blobs.Has(image.Digest))
        {
            manifestBytes = _ctx.Blobs.ReadAll(image.Digest);
        }
        else
        {
            manifestBytes = BuildManifest(image);
            created = true;
        }
        var manifest = ImageManifest.Parse(manifestBytes);
        if (manifest.IsIndex)
            throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.NotSupported, "Pushing an image index is not supported.", image);

        using var client = RegistryClient.For(r, _o.Credentials, _o.AllowInsecure);
        Report(TransferPhase.Manifest, 0, 0, "", 0, 0, $"Pushing to {r}");
        var blobs = new[] { manifest.Config! }.Concat(manifest.Layers).ToList();
        int uploaded = 0, skipped = 0;
        for (int i = 0; i < blobs.Count; i++)
        {
            _ct.ThrowIfCancellationRequested();
            var b = blobs[i];
            var what = i == 0 ? "config" : $"layer {i}/{blobs.Count - 1}";
            if (client.HasBlob(r.Repository, b.Digest, _ct))
            {
                skipped++;
                Report(TransferPhase.Skipped, i, blobs.Count, b.Digest, 0, b.Size, $"The registry already has {what}");
                continue;
            }
            if (!_ctx.Blobs.Has(b.Digest))
                throw new PodShellException(ErrorIds.LayerBlobMissing, FailureKind.NotFound,
                    $"The blob {b.Digest} ({what}) of image '{image.Name}' is not in the local blob store (its layer was already present when the image was pulled) and the registry does not have it. Pull the image again from its source, or push it to a registry that has that blob.", b.Digest);
            var size = _ctx.Blobs.Size(b.Digest);
            Report(TransferPhase.Transferring, i, blobs.Count, b.Digest, 0, size, $"Uploading {what}");
            client.PutBlob(r.Repository, b.Digest, size, () => _ctx.Blobs.Open(b.Digest),
                sent => Report(TransferPhase.Transferring, i, blobs.Count, b.Digest, sent, size, $"Uploading {what}"), _ct);
            uploaded++;
            Report(TransferPhase.Done, i, blobs.Count, b.Digest, size, size, $"Uploaded {what}");
        }
        var digest = client.PutManifest(r.Repository, r.Tag!, manifestBytes, manifest.MediaType, _ct);
        return new PushResult(r.ToString(), digest, uploaded, skipped, created);
    }

    /// <summary>For an image made from a root filesystem: tar each layer's diff directory, gzip it into the
    /// blob store, and write a NEW config whose diff_ids are the digests of these tars. The recorded
    /// diff_id cannot be reused: it is the digest of the tar that was imported, and a re-tar of the
    /// unpacked tree is different bytes (order, headers, mtimes of the original tool). So the pushed image
    /// has its own config digest, hence another image id than the local one. Overlay whiteouts (0:0
    /// character devices) are not turned back into .wh. files: images made by import have none.</summary>
    private byte[] BuildManifest(ContainerImage image)
    {
        var configDigest = "sha256:" + image.Id;
        if (!_ctx.Blobs.Has(configDigest))
            throw new PodShellException(ErrorIds.ImageConfigMissing, FailureKind.NotFound,
                $"The config blob of image '{image.Name}' ({configDigest}) is not in the blob store.", image);
        var config = JsonNode.Parse(_ctx.Blobs.ReadAll(configDigest))!.AsObject();

        var diffIds = new JsonArray();
        var layers = new JsonArray();
        for (int i = 0; i < image.Layers.Length; i++)
        {
            _ct.ThrowIfCancellationRequested();
            Report(TransferPhase.Transferring, i + 1, image.Layers.Length + 1, image.Layers[i], 0, 0, $"Compressing layer {i + 1}/{image.Layers.Length}");
            var (digest, diffId, size) = CompressLayer(_ctx.Layers.Get(image.Layers[i]).DiffDir);
            diffIds.Add(diffId);
            layers.Add(new JsonObject { ["mediaType"] = ManifestMediaTypes.OciLayerGzip, ["digest"] = digest, ["size"] = size });
        }
        if (config["rootfs"] is not JsonObject rootfs)
            config["rootfs"] = rootfs = new JsonObject { ["type"] = "layers" };
        rootfs["diff_ids"] = diffIds;
        var newConfig = Encoding.UTF8.GetBytes(config.ToJsonString());
        var newConfigDigest = _ctx.Blobs.Put(newConfig);

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = ManifestMediaTypes.OciConfig, ["digest"] = newConfigDigest, ["size"] = newConfig.Length },
            ["layers"] = layers,
        };
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        _ctx.Blobs.Put(bytes);
        return bytes;
    }

    /// <summary>tar | gzip into a temp file of the blob store, hashing the tar on the way (the diff_id).</summary>
    private (string Digest, string DiffId, long Size) CompressLayer(string diffDir)
    {
        var tmp = Path.Combine(_ctx.Blobs.Root, "tmp", $"{Environment.ProcessId}-{Guid.NewGuid():N}.tar.gz");
        try
        {
            string diffId;
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var gz = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
                using (var hashing = new HashingWriteStream(gz))
                {
                    LayerTarWriter.Write(diffDir, hashing, _ct, _ctx.UserNamespace?.InsideOwners);
                    hashing.Flush();
                    diffId = hashing.Digest();
                }
                file.Flush(true);
            }
            using var read = File.OpenRead(tmp);
            var digest = _ctx.Blobs.Put(read, null, _ct);
            return (digest, diffId, new FileInfo(tmp).Length);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private void Report(TransferPhase phase, int index, int count, string digest, long bytes, long total, string description) =>
        _progress?.Report(new TransferProgress(phase, index, count, digest, bytes, total, description));

    /// <summary>Passes writes through and hashes them.</summary>
    private sealed class HashingWriteStream : Stream
    {
        private readonly Stream _inner;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public HashingWriteStream(Stream inner) => _inner = inner;
        public string Digest() => "sha256:" + Convert.ToHexString(_hash.GetCurrentHash()).ToLowerInvariant();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); _inner.Write(buffer); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
    }
}
