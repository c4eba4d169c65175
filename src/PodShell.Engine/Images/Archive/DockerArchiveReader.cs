using System.Text.Json;

namespace PodShell.Engine.Images.Archive;

/// <summary>Reads docker save / podman save archives: manifest.json
/// [{"Config": "&lt;hex&gt;.json", "RepoTags": [...], "Layers": ["&lt;diffid&gt;.tar" | "&lt;v1id&gt;/layer.tar", ...]}]
/// (moby image/tarexport). Member paths are untrusted and must stay inside the archive.</summary>
public static class DockerArchiveReader
{
    public static IReadOnlyList<ArchiveImage> Read(ArchiveSource source)
    {
        using var doc = ArchiveJson.Parse(source.ReadJson("manifest.json"), "manifest.json");
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw ArchiveSource.Invalid("manifest.json is not a JSON array", "manifest.json");
        var images = new List<ArchiveImage>();
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            ArchiveJson.Object(entry, "a manifest.json entry");
            var configPath = ArchiveSource.CleanOrThrow(ArchiveJson.String(entry, "Config", "manifest.json"));
            var config = source.ReadJson(configPath);
            var parsed = OciImageConfig.Parse(config);
            var layers = new List<ArchiveLayer>();
            foreach (var l in ArchiveJson.Array(entry, "Layers", "manifest.json").EnumerateArray())
            {
                if (l.ValueKind != JsonValueKind.String) throw ArchiveSource.Invalid("a Layers entry of manifest.json is not a string", "manifest.json");
                layers.Add(new ArchiveLayer(ArchiveSource.CleanOrThrow(l.GetString()!), null, OciMediaTypes.Layer));
            }
            if (layers.Count != parsed.DiffIds.Length)
                throw ArchiveSource.Invalid($"manifest.json lists {layers.Count} layer(s) for {configPath}, whose rootfs has {parsed.DiffIds.Length} diff_id(s)", configPath);
            var names = new List<string>();
            if (entry.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array)
                names.AddRange(tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
            images.Add(new ArchiveImage(config, null, layers, names, null) { DiffIds = parsed.DiffIds });
        }
        if (images.Count == 0) throw ArchiveSource.Invalid("manifest.json lists no image", "manifest.json");
        return images;
    }
}
