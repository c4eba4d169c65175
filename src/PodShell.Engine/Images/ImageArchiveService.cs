using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Images;

/// <summary>Image archives in and out: OCI layout directories, oci-archives and docker-archives (import, export),
/// and the manifest an image imported from a root filesystem gets when it is first exported. Blobs are verified as
/// they are stored; images are made by <see cref="ImageRegistrar"/>, and an import that fails removes what it made
/// through <see cref="ImageService"/>. Calls nothing above them.</summary>
internal sealed class ImageArchiveService
{
    private readonly EngineContext _ctx;
    private readonly ImageRegistrar _registrar;
    private readonly ImageService _images;

    public ImageArchiveService(EngineContext ctx, ImageRegistrar registrar, ImageService images)
    {
        _ctx = ctx;
        _registrar = registrar;
        _images = images;
    }

    /// <summary>Where archives are unpacked and layer tars are made before they go into the blob store.</summary>
    public string ScratchDir => Path.Combine(_ctx.Blobs.Root, "tmp");
    // Generated manifests of images imported from a root filesystem: &lt;id&gt; holds the manifest digest, so a
    // later export reuses the same blobs instead of taring the layer again.
    private string GeneratedManifestDir => Path.Combine(_ctx.Options.GraphRoot, "image-manifests");

    /// <summary>Import whatever <paramref name="path"/> holds: an OCI layout directory, an oci-archive, a
    /// docker-archive (every image and name in it), or a root filesystem (tar, compressed tar or directory,
    /// which needs <paramref name="name"/>: NameRequired). For an archive, <paramref name="name"/> replaces the
    /// archive's names and is only allowed when it holds one image (NameAmbiguous). Every blob is verified
    /// against its digest as it is stored; nothing is registered unless every image of the archive is whole.</summary>
    public IReadOnlyList<ContainerImage> Import(string path, string? name, ImageConfig? rootfsConfig,
        Action<ArchiveProgress>? progress, CancellationToken ct)
    {
        var format = ImageArchiveDetector.Detect(path, ct);
        if (format == ImageArchiveFormat.RootFilesystem)
        {
            if (string.IsNullOrEmpty(name))
                throw new PodShellException(ErrorIds.NameRequired, FailureKind.InvalidArgument,
                    $"'{path}' is a root filesystem, not an image archive: give the new image a name with -Name.", path);
            var image = _registrar.ImportRootfs(path, name, rootfsConfig,
                (read, total) => progress?.Invoke(new ArchiveProgress("Importing root filesystem", path, 1, 1, read, total)), ct);
            return new[] { image };
        }
        if (rootfsConfig != null)
            throw new PodShellException(ErrorIds.ConfigNotApplicable, FailureKind.InvalidArgument,
                $"'{path}' is an image archive ({format}); its images carry their own config, so a command cannot be set.", path);
        if (name != null)
        {
            name = ImageReference.Normalize(name);
            if (!ImageReference.IsValid(name))
                throw new PodShellException(ErrorIds.InvalidImageName, FailureKind.InvalidArgument,
                    $"'{name}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", name);
        }

        using var source = ArchiveSource.Open(path, ScratchDir, ct);
        var images = format == ImageArchiveFormat.DockerArchive ? DockerArchiveReader.Read(source) : OciLayoutReader.Read(source);
        if (name != null && images.Count != 1)
            throw new PodShellException(ErrorIds.NameAmbiguous, FailureKind.InvalidArgument,
                $"'{path}' holds {images.Count} images; -Name can only name a single-image archive.", path);

        var newBlobs = new List<string>();
        var newImages = new List<ContainerImage>();
        var before = _images.List().Select(i => i.Id).ToHashSet();
        try
        {
            var staged = images.Select(img => StageImage(source, img, newBlobs, progress, ct)).ToList();
            var result = new List<ContainerImage>();
            for (int i = 0; i < images.Count; i++)
            {
                var names = name != null ? new[] { name } : images[i].Names.Select(ImageReference.Normalize).Where(ImageReference.IsValid).Distinct().ToArray();
                var (config, layers, manifest) = staged[i];
                var image = _registrar.Register(config, layers, names, manifest,
                    (n, count, blob) => progress?.Invoke(new ArchiveProgress("Unpacking layers", blob.Digest, n + 1, count, 0, blob.Size)), ct);
                if (!before.Contains(image.Id)) newImages.Add(image);
                result.Add(image);
            }
            return result;
        }
        catch (Exception e)
        {
            foreach (var img in newImages)
                try { _images.RemoveCompletely(img, force: false, CancellationToken.None); } catch (Exception) { }
            foreach (var d in newBlobs)
                try { _ctx.Blobs.Delete(d); } catch (IOException) { }
            if (e is InvalidDataException or EndOfStreamException or JsonException)
                throw ArchiveSource.Invalid(e.Message, path, e);
            throw;
        }
    }

    /// <summary>Puts an archive image's config and layers into the blob store, each verified against its
    /// digest, even when the store already has it: a damaged archive is reported as such, not masked (docker-archive: an uncompressed layer must hash to its diff_id; a compressed one is checked
    /// against the diff_id when unpacked). Returns what ImageRegistrar.Register needs, with an OCI manifest made for
    /// a docker-archive image so it has a manifest digest like any other.</summary>
    private (byte[] Config, List<LayerBlob> Layers, byte[] Manifest) StageImage(ArchiveSource source, ArchiveImage img,
        List<string> newBlobs, Action<ArchiveProgress>? progress, CancellationToken ct)
    {
        var layers = new List<LayerBlob>();
        for (int i = 0; i < img.Layers.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var l = img.Layers[i];
            long total = source.Length(l.Path);
            int index = i;
            using var raw = new ProgressStream(source.Open(l.Path),
                read => progress?.Invoke(new ArchiveProgress("Copying layers", l.Digest ?? l.Path, index + 1, img.Layers.Count, read, total)));
            string digest, mediaType = l.MediaType;
            if (l.Digest != null)
            {
                digest = PutNew(raw, l.Digest, newBlobs, ct);
            }
            else
            {
                var (kind, replay) = LayerCompression.Sniff(raw);
                mediaType = kind switch
                {
                    LayerCompressionKind.None => OciMediaTypes.Layer,
                    LayerCompressionKind.Gzip => OciMediaTypes.LayerGzip,
                    LayerCompressionKind.Zstd => OciMediaTypes.LayerZstd,
                    _ => throw new PodShellException(ErrorIds.UnsupportedCompression, FailureKind.NotSupported,
                        $"Layer '{l.Path}' is {kind.ToString().ToLowerInvariant()}-compressed; gzip, zstd and plain tars are supported.", l.Path),
                };
                digest = PutNew(replay, kind == LayerCompressionKind.None ? img.DiffIds[i] : null, newBlobs, ct);
            }
            layers.Add(new LayerBlob(digest, mediaType, _ctx.Blobs.Size(digest)));
        }
        var configDigest = PutNew(new MemoryStream(img.Config, writable: false), img.ConfigDigest, newBlobs, ct);
        var manifest = img.Manifest ?? BuildManifest(configDigest, img.Config.Length, layers);
        return (img.Config, layers, manifest);
    }

    private string PutNew(Stream content, string? expected, List<string> newBlobs, CancellationToken ct)
    {
        bool had = expected != null && _ctx.Blobs.Has(expected);
        var digest = _ctx.Blobs.Put(content, expected, ct);
        if (!had && !newBlobs.Contains(digest)) newBlobs.Add(digest);
        return digest;
    }

    private static byte[] BuildManifest(string configDigest, long configSize, IEnumerable<LayerBlob> layers)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Manifest,
            ["config"] = new JsonObject { ["mediaType"] = OciMediaTypes.Config, ["digest"] = configDigest, ["size"] = configSize },
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
            {
                ["mediaType"] = l.MediaType, ["digest"] = l.Digest, ["size"] = l.Size,
            }).ToArray()),
        };
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    /// <summary>Write images to <paramref name="path"/> as an oci-archive, docker-archive or OCI layout
    /// directory. Received blobs are written unchanged; an image imported from a root filesystem gets its
    /// manifest made once (see <see cref="GetExportImage"/>).</summary>
    public void Export(IReadOnlyList<ContainerImage> images, string path, ImageArchiveFormat format,
        Action<ArchiveProgress>? progress, CancellationToken ct)
    {
        if (format == ImageArchiveFormat.RootFilesystem)
            throw new PodShellException(ErrorIds.InvalidArchiveFormat, FailureKind.InvalidArgument, "Export writes image archives, not root filesystems.", format);
        var set = images.GroupBy(i => i.Id).Select(g => GetExportImage(g.First(), progress, ct)).ToList();
        new ImageArchiveWriter(_ctx.Blobs, progress).Write(set, path, format, ct);
    }

    /// <summary>The manifest, config and layer blobs of an image. An image with a received manifest is
    /// exported as received. An image imported from a root filesystem has none (its Digest is its config
    /// digest): each layer's diff directory is tared deterministically into an uncompressed layer blob; when
    /// that tar's digest differs from the recorded diff_id (the source tar had other ordering or padding), a
    /// config with the new diff_ids is made, so the exported image has another id than the local one. The
    /// blobs are stored and remembered, so every later export writes the same bytes.</summary>
    public ExportImage GetExportImage(ContainerImage image, Action<ArchiveProgress>? progress, CancellationToken ct)
    {
        var manifestDigest = image.Digest;
        if (manifestDigest == "sha256:" + image.Id || !_ctx.Blobs.Has(manifestDigest))
            manifestDigest = GeneratedManifest(image, progress, ct);
        var manifest = _ctx.Blobs.ReadAll(manifestDigest);
        using var doc = JsonDocument.Parse(manifest);
        var root = doc.RootElement;
        var mediaType = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : OciMediaTypes.Manifest;
        var configDigest = root.GetProperty("config").GetProperty("digest").GetString()!;
        var layers = root.GetProperty("layers").EnumerateArray()
            .Select(l => new ExportLayer(l.GetProperty("digest").GetString()!, l.GetProperty("mediaType").GetString()!, l.GetProperty("size").GetInt64()))
            .ToList();
        foreach (var d in layers.Select(l => l.Digest).Append(configDigest))
            if (!_ctx.Blobs.Has(d))
                throw new PodShellException(ErrorIds.BlobNotFound, FailureKind.NotFound, $"Blob {d} of image '{image.Name}' is not in the blob store.", d);
        var diffIds = OciImageConfig.Parse(_ctx.Blobs.ReadAll(configDigest)).DiffIds;
        return new ExportImage(manifestDigest, mediaType, configDigest, layers, diffIds, image.Names);
    }

    private string GeneratedManifest(ContainerImage image, Action<ArchiveProgress>? progress, CancellationToken ct)
    {
        var remembered = Path.Combine(GeneratedManifestDir, image.Id);
        if (File.Exists(remembered) && File.ReadAllText(remembered).Trim() is var known && _ctx.Blobs.Has(known))
            return known;

        var configDigest = "sha256:" + image.Id;
        if (!_ctx.Blobs.Has(configDigest))
            throw new PodShellException(ErrorIds.BlobNotFound, FailureKind.NotFound, $"The config of image '{image.Name}' is not in the blob store.", configDigest);
        var config = _ctx.Blobs.ReadAll(configDigest);
        var layers = new List<LayerBlob>();
        for (int i = 0; i < image.Layers.Length; i++)
        {
            progress?.Invoke(new ArchiveProgress("Creating layer blobs", image.Layers[i], i + 1, image.Layers.Length, 0, 0));
            var info = _ctx.Layers.Get(image.Layers[i]);
            Directory.CreateDirectory(ScratchDir);
            var tmp = Path.Combine(ScratchDir, $"{Environment.ProcessId}-layer-{Guid.NewGuid():N}");
            try
            {
                using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    DiffTarWriter.Write(info.DiffDir, fs, ct, _ctx.UserNamespace?.InsideOwners);
                using var read = File.OpenRead(tmp);
                var digest = _ctx.Blobs.Put(read, null, ct);
                layers.Add(new LayerBlob(digest, OciMediaTypes.Layer, _ctx.Blobs.Size(digest)));
            }
            finally { File.Delete(tmp); }
        }
        var diffIds = layers.Select(l => l.Digest).ToArray();
        if (!diffIds.SequenceEqual(OciImageConfig.Parse(config).DiffIds))
        {
            var node = JsonNode.Parse(config)!.AsObject();
            node["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)d!).ToArray()) };
            config = Encoding.UTF8.GetBytes(node.ToJsonString());
            configDigest = _ctx.Blobs.Put(config);
        }
        var manifestDigest = _ctx.Blobs.Put(BuildManifest(configDigest, config.Length, layers));
        Directory.CreateDirectory(GeneratedManifestDir);
        IO.AtomicFile.Write(remembered, manifestDigest);
        return manifestDigest;
    }
}
