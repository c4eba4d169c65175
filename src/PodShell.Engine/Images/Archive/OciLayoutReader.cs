using System.Text.Json;

namespace PodShell.Engine.Images.Archive;

/// <summary>Reads the images of an OCI image layout (image-spec image-layout.md): every manifest that
/// index.json lists, with the names of its org.opencontainers.image.ref.name annotations; an image index
/// inside picks linux/amd64. Every JSON blob is checked against its descriptor's digest here; layer
/// blobs are checked as they are stored.</summary>
public static class OciLayoutReader
{
    private const int MaxIndexDepth = 4;

    public static IReadOnlyList<ArchiveImage> Read(ArchiveSource source)
    {
        using (var layout = ArchiveJson.Parse(source.ReadJson("oci-layout"), "oci-layout"))
        {
            var root = ArchiveJson.Object(layout.RootElement, "oci-layout");
            ArchiveJson.String(root, "imageLayoutVersion", "oci-layout");
        }
        using var index = ArchiveJson.Parse(source.ReadJson("index.json"), "index.json");
        var manifests = ArchiveJson.Array(ArchiveJson.Object(index.RootElement, "index.json"), "manifests", "index.json");

        // Several index entries (tags) may point at one manifest: one image with several names.
        var order = new List<string>();
        var found = new Dictionary<string, (byte[] Manifest, List<string> Names)>();
        foreach (var desc in manifests.EnumerateArray())
        {
            ArchiveJson.Object(desc, "an index.json descriptor");
            var (digest, bytes) = ResolveManifest(source, desc, 0);
            if (!found.TryGetValue(digest, out var entry))
            {
                found[digest] = entry = (bytes, new List<string>());
                order.Add(digest);
            }
            if (desc.TryGetProperty("annotations", out var ann) && ArchiveJson.OptionalString(ann, OciMediaTypes.RefNameAnnotation) is { Length: > 0 } refName)
                entry.Names.Add(refName);
        }
        if (order.Count == 0) throw ArchiveSource.Invalid("index.json lists no image", "index.json");
        return order.Select(d => ReadImage(source, found[d].Manifest, found[d].Names)).ToList();
    }

    /// <summary>The blob a descriptor names, read whole and checked against the digest.</summary>
    public static byte[] ReadJsonBlob(ArchiveSource source, string digest)
    {
        var bytes = source.ReadJson("blobs/sha256/" + digest[7..]);
        var actual = BlobStore.Digest(bytes);
        if (actual != digest)
            throw new PodShellException(ErrorIds.DigestMismatch, FailureKind.InvalidArgument,
                $"The blob {digest} in the archive has the digest {actual}; the archive was refused.", digest);
        return bytes;
    }

    private static (string Digest, byte[] Manifest) ResolveManifest(ArchiveSource source, JsonElement desc, int depth)
    {
        var digest = ArchiveJson.Digest(desc, "an index descriptor");
        var bytes = ReadJsonBlob(source, digest);
        var mediaType = ArchiveJson.OptionalString(desc, "mediaType") ?? "";
        using var doc = ArchiveJson.Parse(bytes, $"manifest {digest}");
        var root = ArchiveJson.Object(doc.RootElement, $"manifest {digest}");
        bool isIndex = OciMediaTypes.IsIndex(mediaType) || (mediaType.Length == 0 && root.TryGetProperty("manifests", out _))
            || OciMediaTypes.IsIndex(ArchiveJson.OptionalString(root, "mediaType") ?? "");
        if (!isIndex) return (digest, bytes);
        if (depth >= MaxIndexDepth) throw ArchiveSource.Invalid("image indexes are nested too deeply", digest);

        foreach (var m in ArchiveJson.Array(root, "manifests", $"index {digest}").EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("platform", out var p) || p.ValueKind != JsonValueKind.Object) continue;
            if (ArchiveJson.OptionalString(p, "os") == "linux" && ArchiveJson.OptionalString(p, "architecture") == "amd64")
                return ResolveManifest(source, m, depth + 1);
        }
        throw new PodShellException(ErrorIds.NoMatchingPlatform, FailureKind.NotSupported,
            $"The image index {digest} has no linux/amd64 image.", digest);
    }

    private static ArchiveImage ReadImage(ArchiveSource source, byte[] manifest, List<string> names)
    {
        var what = "manifest " + BlobStore.Digest(manifest);
        using var doc = ArchiveJson.Parse(manifest, what);
        var root = ArchiveJson.Object(doc.RootElement, what);
        var configDesc = root.TryGetProperty("config", out var c) ? ArchiveJson.Object(c, what + " config") : throw ArchiveSource.Invalid($"{what} has no config", what);
        var configDigest = ArchiveJson.Digest(configDesc, what + " config");
        var config = ReadJsonBlob(source, configDigest);
        var layers = new List<ArchiveLayer>();
        foreach (var l in ArchiveJson.Array(root, "layers", what).EnumerateArray())
        {
            ArchiveJson.Object(l, what + " layer");
            var digest = ArchiveJson.Digest(l, what + " layer");
            var mediaType = ArchiveJson.String(l, "mediaType", what + " layer");
            if (!OciMediaTypes.IsLayer(mediaType))
                throw new PodShellException(ErrorIds.UnsupportedLayerType, FailureKind.NotSupported,
                    $"Layer {digest} has the media type '{mediaType}', which PodShell cannot unpack.", mediaType);
            layers.Add(new ArchiveLayer("blobs/sha256/" + digest[7..], digest, mediaType));
        }
        var parsed = OciImageConfig.Parse(config);
        return new ArchiveImage(config, configDigest, layers, names, manifest) { DiffIds = parsed.DiffIds };
    }
}
