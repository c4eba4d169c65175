using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Images;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>The one facade the cmdlets hold. Daemonless: every instance works straight on the shared
/// SQLite store, the layer store, cgroupfs and the OCI runtime, so any number of pwsh processes can
/// use the same roots at once.</summary>
public sealed partial class ContainerEngine
{
    private static readonly ConcurrentDictionary<EngineOptions, ContainerEngine> Engines = new();

    /// <summary>The stores and host facts every service shares (Engine/EngineContext.cs).</summary>
    internal EngineContext Context { get; }

    public EngineOptions Options => Context.Options;
    public StateStore Store => Context.Store;
    public LayerStore Layers => Context.Layers;
    public CgroupMode CgroupMode => Context.CgroupMode;
    public ICgroupDriver Cgroups => Context.Cgroups;

    /// <summary>The engine for these roots, created once per process.</summary>
    public static ContainerEngine Get(EngineOptions options) => Engines.GetOrAdd(options, o => new ContainerEngine(o));

    /// <summary>The engine for the roots named by the environment (PODSHELL_GRAPHROOT, PODSHELL_RUNROOT).</summary>
    public static ContainerEngine FromEnvironment() => Get(EngineOptions.FromEnvironment());

    public ContainerEngine(EngineOptions options)
    {
        Context = new EngineContext(options);
        // What a killed pwsh left in the layer and blob stores is finished when a process first opens them.
        SweepStore();
    }

    public OciRuntime Runtime => Context.Runtime;
    public ConmonMonitor Conmon => Context.Conmon;

    public ContainerPaths PathsFor(string id) => Context.PathsFor(id);

    // ---- images -----------------------------------------------------------------------------

    /// <summary>Import a root filesystem (tar, tar.gz or directory) as a one-layer image, like podman import.</summary>
    public ContainerImage ImportImage(string path, string name, ImageConfig? config = null, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        name = ImageReference.Normalize(name);
        if (!ImageReference.IsValid(name))
            throw new PodShellException("InvalidImageName", FailureKind.InvalidArgument,
                $"'{name}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", name);
        SweepIncompleteLayers();
        LayerInfo layer;
        if (Directory.Exists(path))
        {
            layer = Layers.ApplyDirectory(path, null, ct);
        }
        else if (File.Exists(path))
        {
            long total = new FileInfo(path).Length;
            using var fs = new ProgressStream(File.OpenRead(path), read => progress?.Invoke(read, total));
            layer = Layers.ApplyTar(fs, null, ct);
        }
        else
        {
            throw new PodShellException("ImportSourceNotFound", FailureKind.NotFound, $"No file or directory at '{path}'.", path);
        }
        Store.PutLayer(layer.Id, layer.DiffId, null, layer.Size);

        config ??= new ImageConfig();
        if (config.Env.Length == 0) config.Env = new[] { "PATH=" + DefaultPath };
        var created = DateTime.UtcNow;
        var configJson = BuildImageConfig(config, new[] { layer.DiffId }, created);
        var hex = Blobs.Put(configJson)[7..];

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
        Store.PutImage(image);
        return GetImages().First(i => i.Id == hex);
    }

    internal const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

    public IReadOnlyList<ContainerImage> GetImages() => Store.ListImages();

    /// <summary>By name (with the :latest and localhost/ spellings), full id, or unique id prefix.</summary>
    public ContainerImage ResolveImage(string nameOrId) => ResolveImageName(nameOrId).Image;

    /// <summary>The image and, when it was found by one of its names, that name.</summary>
    public (ContainerImage Image, string? Name) ResolveImageName(string nameOrId)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.ImageResolve);
        var images = GetImages();
        foreach (var cand in ImageReference.Candidates(nameOrId))
        {
            var hit = images.FirstOrDefault(i => i.Names.Contains(cand, StringComparer.Ordinal));
            if (hit != null) return (hit, cand);
        }
        var id = nameOrId.StartsWith("sha256:") ? nameOrId[7..] : nameOrId;
        if (id.Length >= 3 && id.All(Uri.IsHexDigit))
        {
            var hits = images.Where(i => i.Id.StartsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
            if (hits.Count == 1) return (hits[0], null);
        }
        throw new PodShellException("ImageNotFound", FailureKind.NotFound,
            $"No image named '{nameOrId}' in the local store. Import one with Import-ContainerImage, or list them with Get-ContainerImage.", nameOrId);
    }

    internal static void AtomicWrite(string path, byte[] bytes) => IO.AtomicFile.Write(path, bytes);

    internal static void AtomicWrite(string path, string text) => IO.AtomicFile.Write(path, text);
}
