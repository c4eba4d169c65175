using System.Text.Json;

namespace PodShell.Engine.Images.Archive;

/// <summary>Strict reads of archive JSON: a wrong type is as invalid as a syntax error, and both are
/// InvalidArchive naming the file.</summary>
internal static class ArchiveJson
{
    public static JsonDocument Parse(byte[] bytes, string what)
    {
        try { return JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw ArchiveSource.Invalid($"{what} is not valid JSON ({e.Message})", what, e); }
    }

    public static JsonElement Object(JsonElement e, string what)
        => e.ValueKind == JsonValueKind.Object ? e : throw ArchiveSource.Invalid($"{what} is not a JSON object", what);

    public static JsonElement Array(JsonElement parent, string name, string what)
        => parent.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a : throw ArchiveSource.Invalid($"{what} has no '{name}' array", what);

    public static string String(JsonElement parent, string name, string what)
        => parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s : throw ArchiveSource.Invalid($"{what} has no '{name}' string", what);

    public static string? OptionalString(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string Digest(JsonElement descriptor, string what)
    {
        var d = String(descriptor, "digest", what);
        return BlobStore.IsValidDigest(d) ? d : throw ArchiveSource.Invalid($"{what} names '{d}', which is not a sha256 digest", d);
    }
}
