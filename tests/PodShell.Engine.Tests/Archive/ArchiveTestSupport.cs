using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Archive;

/// <summary>A private engine (graph and run roots in a temp dir) for archive tests; no containers run.</summary>
public sealed class ArchiveEngine : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("podshell-xunit-archive-").FullName;
    public ContainerEngine Engine { get; }

    public ArchiveEngine()
    {
        Engine = new ContainerEngine(new EngineOptions(Path.Combine(Root, "graph"), Path.Combine(Root, "run"), "podshell-xunit-archive"));
    }

    public string PathIn(string name) => Path.Combine(Root, name);

    public IReadOnlyList<string> BlobFiles() => Directory.GetFiles(Path.Combine(Engine.Blobs.Root, "sha256")).Select(Path.GetFileName).ToList()!;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

/// <summary>Builds OCI layouts and docker archives in memory: a map of member name to bytes, written
/// out as a directory or a tar.</summary>
internal sealed class ArchiveBuilder
{
    public readonly SortedDictionary<string, byte[]> Files = new(StringComparer.Ordinal);
    public readonly Dictionary<string, string> Symlinks = new();

    public static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static byte[] LayerTar(string file, string content) =>
        new TarBuilder().Dir("etc/").File("etc/" + file, content).Build();

    public static byte[] Config(params string[] diffIds) => Json(new JsonObject
    {
        ["architecture"] = "amd64",
        ["os"] = "linux",
        ["created"] = "2024-01-02T03:04:05Z",
        ["config"] = new JsonObject { ["Cmd"] = new JsonArray("sh") },
        ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)d!).ToArray()) },
    });

    public static string Digest(byte[] b) => "sha256:" + TarBuilder.Sha256Hex(b);

    public string AddBlob(byte[] content)
    {
        var d = Digest(content);
        Files["blobs/sha256/" + d[7..]] = content;
        return d;
    }

    /// <summary>An OCI image with the given layer blobs (already compressed as wished) and uncompressed tars.</summary>
    public (string Manifest, int Size) AddOciImage(IReadOnlyList<(byte[] Blob, byte[] Tar, string MediaType)> layers)
    {
        var config = Config(layers.Select(l => Digest(l.Tar)).ToArray());
        var cd = AddBlob(config);
        var manifest = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = cd, ["size"] = config.Length },
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
            {
                ["mediaType"] = l.MediaType, ["digest"] = AddBlob(l.Blob), ["size"] = l.Blob.Length,
            }).ToArray()),
        });
        return (AddBlob(manifest), manifest.Length);
    }

    public void SetIndex(params JsonObject[] descriptors)
    {
        Files["oci-layout"] = Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}");
        Files["index.json"] = Json(new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(descriptors.Cast<JsonNode>().ToArray()) });
    }

    public static JsonObject Descriptor(string digest, int size, string? refName = null, string mediaType = "application/vnd.oci.image.manifest.v1+json")
    {
        var d = new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };
        if (refName != null) d["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = refName };
        return d;
    }

    public string WriteDirectory(string path)
    {
        foreach (var (name, bytes) in Files)
        {
            var full = Path.Combine(path, name);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }
        return path;
    }

    public string WriteTar(string path, bool gzip = false)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, bytes) in Files)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes), Mode = (UnixFileMode)0x1A4 });
            foreach (var (name, target) in Symlinks)
                w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
        }
        File.WriteAllBytes(path, gzip ? TarBuilder.Gzip(ms.ToArray()) : ms.ToArray());
        return path;
    }
}
