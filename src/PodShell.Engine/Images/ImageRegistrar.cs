using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Images;

/// <summary>Makes image records: from a root filesystem (import), from config and layer blobs already in the blob
/// store (archives, pulls, commits), and registry names for them. It applies layers to the layer store and writes
/// image and layer rows; it calls the sweeper and no other service, so the archive and registry services and the
/// commit of a container can all use it.</summary>
internal sealed class ImageRegistrar
{
    /// <summary>The PATH an imported image gets when its config sets none, and a container when its image has none.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly EngineContext _ctx;
    private readonly StoreSweeper _sweeper;

    public ImageRegistrar(EngineContext ctx, StoreSweeper sweeper)
    {
        _ctx = ctx;
        _sweeper = sweeper;
    }

    /// <summary>Import a root filesystem (tar, tar.gz or directory) as a one-layer image, like podman import.</summary>
    public ContainerImage ImportRootfs(string path, string name, ImageConfig? config, Action<long, long>? progress, CancellationToken ct)
    {
        name = ImageReference.Normalize(name);
        if (!ImageReference.IsValid(name))
            throw new PodShellException(ErrorIds.InvalidImageName, FailureKind.InvalidArgument,
                $"'{name}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", name);
        _sweeper.SweepIfChanged();
        LayerInfo layer;
        if (Directory.Exists(path))
        {
            layer = _ctx.Layers.ApplyDirectory(path, null, ct);
        }
        else if (File.Exists(path))
        {
            long total = new FileInfo(path).Length;
            using var fs = new ProgressStream(File.OpenRead(path), read => progress?.Invoke(read, total));
            layer = _ctx.Layers.ApplyTar(fs, null, ct);
        }
        else
        {
            throw new PodShellException(ErrorIds.ImportSourceNotFound, FailureKind.NotFound, $"No file or directory at '{path}'.", path);
        }
        _ctx.Store.PutLayer(layer.Id, layer.DiffId, null, layer.Size);

        config ??= new ImageConfig();
        if (config.Env.Length == 0) config.Env = new[] { "PATH=" + DefaultPath };
        var created = DateTime.UtcNow;
        var configJson = BuildImageConfig(config, new[] { layer.DiffId }, created);
        var hex = _ctx.Blobs.Put(configJson)[7..];

        var image = new ContainerImage
        {
            Id = hex,
            Names = new[] { name },
            Digest = "sha256:" + hex,
            Created = created,
            Size = layer.Size,
            Layers = new[] { layer.Id },
            Config = config,
        };
        _ctx.Store.PutImage(image);
        return Read(hex);
    }

    private static byte[] BuildImageConfig(ImageConfig c, string[] diffIds, DateTime created)
    {
        var cfg = new JsonObject();
        if (c.Env.Length > 0) cfg["Env"] = new JsonArray(c.Env.Select(e => (JsonNode)e!).ToArray());
        if (c.Entrypoint.Length > 0) cfg["Entrypoint"] = new JsonArray(c.Entrypoint.Select(e => (JsonNode)e!).ToArray());
        if (c.Cmd.Length > 0) cfg["Cmd"] = new JsonArray(c.Cmd.Select(e => (JsonNode)e!).ToArray());
        if (!string.IsNullOrEmpty(c.WorkingDir)) cfg["WorkingDir"] = c.WorkingDir;
        if (!string.IsNullOrEmpty(c.User)) cfg["User"] = c.User;
        if (!string.IsNullOrEmpty(c.StopSignal)) cfg["StopSignal"] = c.StopSignal;
        if (c.Labels.Count > 0) cfg["Labels"] = new JsonObject(c.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        var root = new JsonObject
        {
            ["created"] = created.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"),
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = cfg,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)d!).ToArray()) },
            ["history"] = new JsonArray(new JsonObject { ["created"] = created.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"), ["created_by"] = "PodShell Import-ContainerImage" }),
        };
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Register an image whose config and layer blobs are already in the blob store (put there, verified,
    /// by an archive reader, the registry client or a commit). Each layer is applied unless a layer with the same
    /// chain id exists; its uncompressed digest must equal the config's diff_id. Nothing is registered unless every
    /// layer is whole and verified. The manifest (if any) is kept as a blob and becomes the image's Digest.</summary>
    public ContainerImage Register(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names,
        byte[]? manifestJson, Action<int, int, LayerBlob>? layerProgress, CancellationToken ct)
    {
        var config = OciImageConfig.Parse(configJson);
        if (config.DiffIds.Length != layers.Count)
            throw new PodShellException(ErrorIds.InvalidImageConfig, FailureKind.InvalidArgument,
                $"The manifest lists {layers.Count} layer(s) but the config has {config.DiffIds.Length} diff_id(s).", null);
        foreach (var n in names)
            if (!ImageReference.IsValid(n))
                throw new PodShellException(ErrorIds.InvalidImageName, FailureKind.InvalidArgument, $"'{n}' is not a valid image name.", n);

        _sweeper.SweepIfChanged();
        var layerIds = new List<string>();
        string? parent = null;
        long size = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            layerProgress?.Invoke(i, layers.Count, layers[i]);
            var expectedId = ChainId(parent, config.DiffIds[i]);
            LayerInfo info;
            if (_ctx.Layers.Exists(expectedId))
            {
                info = _ctx.Layers.Get(expectedId);
            }
            else
            {
                info = ApplyBlobLayer(layers[i], parent, ct);
                if (info.DiffId != config.DiffIds[i])
                {
                    // The blob's digest matched the manifest, but what it unpacks to is not what the
                    // config promises: refuse the image, and drop the layer we just made from it.
                    TryDeleteUnusedLayer(info.Id);
                    throw new PodShellException(ErrorIds.DiffIdMismatch, FailureKind.InvalidArgument,
                        $"Layer {i + 1} ({layers[i].Digest}) unpacks to {info.DiffId}, but the image config says {config.DiffIds[i]}; the image was refused.", layers[i].Digest);
                }
            }
            _ctx.Store.PutLayer(info.Id, info.DiffId, parent, info.Size);
            layerIds.Add(info.Id);
            size += info.Size;
            parent = info.Id;
        }

        var configDigest = _ctx.Blobs.Put(configJson);
        var digest = manifestJson != null ? _ctx.Blobs.Put(manifestJson) : configDigest;
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
        _ctx.Store.PutImage(image);
        return Read(image.Id);
    }

    /// <summary>Give a registered image a registry name. Registry names may hold a port and a digest,
    /// which the local-name rule (ImageReference.IsValid) does not accept, so the name is validated as a
    /// registry reference instead.</summary>
    public ContainerImage Name(ContainerImage image, string name)
    {
        var canonical = Registry.RegistryReference.Parse(name).ToString();
        _ctx.Store.PutImage(new ContainerImage { Id = image.Id, Names = new[] { canonical }, Digest = image.Digest, Created = image.Created });
        return Read(image.Id);
    }

    /// <summary>OCI chain id: the diff id for a base layer, else sha256("&lt;parent chain&gt; &lt;diff id&gt;").</summary>
    public static string ChainId(string? parentChainId, string diffId) => Layers.LayerId.Chain(parentChainId, diffId);

    private ContainerImage Read(string id) => _ctx.Store.ListImages().First(i => i.Id == id);

    private LayerInfo ApplyBlobLayer(LayerBlob blob, string? parent, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                using var s = _ctx.Blobs.Open(blob.Digest);
                return _ctx.Layers.ApplyTar(s, parent, ct);
            }
            catch (PodShellException e) when (e.ErrorId == ErrorIds.LayerBusy && DateTime.UtcNow < deadline)
            {
                // Another pwsh is unpacking the same layer right now: wait for it rather than fail.
                ct.WaitHandle.WaitOne(200);
                ct.ThrowIfCancellationRequested();
            }
        }
    }

    private void TryDeleteUnusedLayer(string layerId)
    {
        if (_ctx.Store.GetLayer(layerId) != null) return;
        try { _ctx.Layers.Delete(layerId); } catch (PodShellException) { }
    }
}
