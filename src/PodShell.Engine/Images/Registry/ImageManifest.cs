using System.Text.Json;

namespace PodShell.Engine.Images.Registry;

/// <summary>A content descriptor (image-spec descriptor.md); Platform only in an index.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, Platform? Platform = null);

/// <summary>A parsed image manifest or image index. Parse refuses malformed JSON, missing or invalid
/// digests, and media types other than OCI/Docker v2 manifests and indexes ("InvalidManifest").</summary>
public sealed class ImageManifest
{
    public string MediaType { get; private init; } = "";
    public Descriptor? Config { get; private init; }
    public IReadOnlyList<Descriptor> Layers { get; private init; } = Array.Empty<Descriptor>();
    /// <summary>The platform manifests of an index.</summary>
    public IReadOnlyList<Descriptor> Manifests { get; private init; } = Array.Empty<Descriptor>();
    public bool IsIndex => ManifestMediaTypes.IsIndex(MediaType);

    /// <summary>Parse <paramref name="json"/>; the media type is the document's own, else the
    /// Content-Type the registry sent (OCI manifests may leave mediaType out).</summary>
    public static ImageManifest Parse(byte[] json, string? contentType = null)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException("not a JSON object");
            var mediaType = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "";
            if (mediaType.Length == 0) mediaType = contentType?.Split(';')[0].Trim() ?? "";
            if (mediaType.Length == 0 || mediaType is "application/json" or "text/plain")
                mediaType = root.TryGetProperty("manifests", out _) ? ManifestMediaTypes.OciIndex : ManifestMediaTypes.OciManifest;
            if (root.TryGetProperty("schemaVersion", out var sv) && sv.ValueKind == JsonValueKind.Number && sv.GetInt32() != 2)
                throw Unsupported($"schemaVersion {sv.GetInt32()} (only schema 2 manifests are supported)");
            if (ManifestMediaTypes.IsIndex(mediaType))
            {
                if (!root.TryGetProperty("manifests", out var ms) || ms.ValueKind != JsonValueKind.Array)
                    throw new JsonException("the index has no manifests array");
                return new ImageManifest { MediaType = mediaType, Manifests = ms.EnumerateArray().Select(ReadDescriptor).ToList() };
            }
            if (!ManifestMediaTypes.IsManifest(mediaType))
                throw Unsupported($"media type '{mediaType}'");
            if (!root.TryGetProperty("config", out var cfg) || cfg.ValueKind != JsonValueKind.Object)
                throw new JsonException("the manifest has no config");
            if (!root.TryGetProperty("layers", out var ls) || ls.ValueKind != JsonValueKind.Array)
                throw new JsonException("the manifest has no layers array");
            return new ImageManifest { MediaType = mediaType, Config = ReadDescriptor(cfg), Layers = ls.EnumerateArray().Select(ReadDescriptor).ToList() };
        }
        catch (JsonException e)
        {
            throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.InvalidArgument, $"The manifest is not valid: {e.Message}.", null, e);
        }
        catch (InvalidOperationException e)
        {
            throw new PodShellException(ErrorIds.InvalidManifest, FailureKind.InvalidArgument, $"The manifest is not valid: {e.Message}.", null, e);
        }
    }

    private static PodShellException Unsupported(string what) =>
        new(ErrorIds.InvalidManifest, FailureKind.NotSupported, $"The manifest is not supported: {what}.", what);

    private static Descriptor ReadDescriptor(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new JsonException("a descriptor is not an object");
        var digest = e.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        if (!BlobStore.IsValidDigest(digest)) throw new JsonException($"descriptor digest '{digest}' is not a sha256 digest");
        var mediaType = e.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        long size = e.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : -1;
        Platform? platform = null;
        if (e.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            string Str(string n) => p.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            platform = new Platform(Str("os"), Str("architecture"), Str("variant") is { Length: > 0 } va ? va : null);
        }
        return new Descriptor(mediaType, digest, size, platform);
    }

    /// <summary>Pick the manifest for <paramref name="wanted"/> from an index: an exact os/arch match (and
    /// variant, when asked for) first, then a descriptor without a platform (lowest priority, as in
    /// containers/image chooseInstance). None: "NoMatchingPlatform", listing what the index has.</summary>
    public Descriptor SelectPlatform(Platform wanted)
    {
        var candidates = Manifests.Where(m => ManifestMediaTypes.IsManifest(m.MediaType) || m.MediaType.Length == 0).ToList();
        var hit = candidates.FirstOrDefault(m => m.Platform is { } p && wanted.Matches(p))
                  ?? candidates.FirstOrDefault(m => m.Platform is null);
        if (hit is not null) return hit;
        var available = string.Join(", ", Manifests.Select(m => m.Platform?.ToString() ?? "(no platform)").Distinct());
        throw new PodShellException(ErrorIds.NoMatchingPlatform, FailureKind.NotFound,
            $"No image found in the image index for platform {wanted}; it has: {(available.Length > 0 ? available : "nothing")}.", wanted.ToString());
    }
}
