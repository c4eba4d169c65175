using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Images;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Containers;

/// <summary>An image made of a container (podman commit): its diff as one more layer, registered through the image
/// seam.</summary>
internal sealed class CommitService
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerFiles _files;
    private readonly IContainerImages _images;

    public CommitService(EngineContext ctx, ContainerHandles handles, ContainerFiles files, IContainerImages images)
    {
        _ctx = ctx;
        _handles = handles;
        _files = files;
        _images = images;
    }

    /// <summary>Makes an image of a container (podman commit): the container's image layers plus one layer
    /// holding its diff with OCI whiteouts (the engine's own placeholder files left out), and the image's
    /// config updated with <paramref name="changes"/> (Dockerfile words: CMD, ENTRYPOINT, ENV, LABEL, EXPOSE,
    /// WORKDIR, USER, STOPSIGNAL, as "WORD=value" or "WORD value") and <paramref name="message"/> in its history.</summary>
    public ContainerImage Commit(string nameOrId, string name, string? message = null,
        IReadOnlyList<string>? changes = null, string? author = null, CancellationToken ct = default)
    {
        var c = _handles.Get(nameOrId);
        name = ImageReference.Normalize(name);
        if (!ImageReference.IsValid(name))
            throw new PodShellException(ErrorIds.InvalidImageName, FailureKind.InvalidArgument,
                $"'{name}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", name);
        var (upper, lowers, image) = _files.LayerDirs(c);
        if (image is null)
            throw new PodShellException(ErrorIds.ImageNotFound, FailureKind.NotFound,
                $"The image of container '{c.Name}' ({c.ImageId[..Math.Min(12, c.ImageId.Length)]}) is no longer in the store.", c.ImageId);
        var configDigest = "sha256:" + image.Id;
        if (!_ctx.Blobs.Has(configDigest))
            throw new PodShellException(ErrorIds.BlobNotFound, FailureKind.NotFound, $"The config of image '{image.Name}' is not in the blob store.", configDigest);
        var config = JsonNode.Parse(_ctx.Blobs.ReadAll(configDigest))!.AsObject();
        ImageChanges.Apply(config, changes ?? Array.Empty<string>());

        _images.SweepIfChanged(); // a commit writes temp files and a layer: finish what killed ones left
        var reported = OverlayChanges.Read(upper, lowers);
        var scratch = _images.ScratchDir;
        Directory.CreateDirectory(scratch);
        var raw = Path.Combine(scratch, $"{Environment.ProcessId}-commit-{Guid.NewGuid():N}");
        var filtered = raw + ".tar";
        string layerDigest;
        try
        {
            using (var fs = new FileStream(raw, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                DiffTarWriter.Write(upper, fs, ct, _ctx.Host.TarOwners);
            using (var input = File.OpenRead(raw))
            using (var output = new FileStream(filtered, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                FilterLayer(input, output, reported, ct);
            using (var read = File.OpenRead(filtered))
                layerDigest = _ctx.Blobs.Put(read, null, ct);
        }
        finally
        {
            File.Delete(raw);
            File.Delete(filtered);
        }

        var created = DateTime.UtcNow;
        var stamp = created.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
        config["created"] = stamp;
        if (!string.IsNullOrEmpty(author)) config["author"] = author;
        var rootfs = config["rootfs"] as JsonObject ?? new JsonObject { ["type"] = "layers" };
        var diffIds = rootfs["diff_ids"] as JsonArray ?? new JsonArray();
        diffIds.Add((JsonNode)layerDigest);
        rootfs["diff_ids"] = diffIds;
        config["rootfs"] = rootfs;
        var history = config["history"] as JsonArray ?? new JsonArray();
        var entry = new JsonObject { ["created"] = stamp, ["created_by"] = "PodShell New-ContainerImage -Container " + c.Name };
        if (!string.IsNullOrEmpty(message)) entry["comment"] = message;
        if (!string.IsNullOrEmpty(author)) entry["author"] = author;
        history.Add(entry);
        config["history"] = history;
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());

        // The image's own layers exist already (RegisterImage finds them by chain id); only the new one is applied.
        var layers = image.Layers.Select(l => new LayerBlob("sha256:" + l, OciMediaTypes.Layer, 0)).ToList();
        layers.Add(new LayerBlob(layerDigest, OciMediaTypes.Layer, _ctx.Blobs.Size(layerDigest)));
        return _images.Register(configBytes, layers, new[] { name }, ct);
    }

    // Keeps what Get-ContainerChange reports (and the directories leading to it): the engine's placeholder
    // files, and directories made only to hold them, stay out of the image. An opaque marker is kept only
    // for a directory that exists below (containers/storage ConvertWrite, design.md, Upstream U5).
    private static void FilterLayer(Stream input, Stream output, IReadOnlyList<(string Path, ChangeKind Kind)> reported, CancellationToken ct)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        var deletedDirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, kind) in reported)
        {
            if (kind == ChangeKind.Deleted) deletedDirs.Add(path);
            for (var p = path; p.Length > 1; p = p[..p.LastIndexOf('/')] is { Length: > 0 } parent ? parent : "/")
                if (!keep.Add(p)) break;
        }
        // Byte-preserving reader and writer: a name that is not UTF-8 must reach the image as it is (issue 15 item 6).
        var reader = new Layers.TarRecordReader(input);
        using var writer = new Layers.TarRecordWriter(output);
        while (reader.Next() is { } e)
        {
            ct.ThrowIfCancellationRequested();
            var p = "/" + e.Name.TrimEnd('/');
            var dir = p[..p.LastIndexOf('/')];
            var baseName = p[(p.LastIndexOf('/') + 1)..];
            bool ok = baseName == ".wh..wh..opq" ? deletedDirs.Contains(dir)
                : baseName.StartsWith(".wh.", StringComparison.Ordinal) ? keep.Contains(dir + "/" + baseName[4..])
                : keep.Contains(p);
            if (ok) writer.Write(e);
        }
    }
}
