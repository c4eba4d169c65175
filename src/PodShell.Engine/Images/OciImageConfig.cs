using System.Text.Json;

namespace PodShell.Engine.Images;

/// <summary>The parts of an OCI/Docker image config blob the engine uses (image-spec config.md).</summary>
public sealed class OciImageConfig
{
    public string Architecture { get; init; } = "amd64";
    public string Os { get; init; } = "linux";
    public DateTime Created { get; init; }
    public string[] DiffIds { get; init; } = Array.Empty<string>();
    public ImageConfig Config { get; init; } = new();

    /// <summary>Parse a config blob; malformed JSON or a missing rootfs is refused ("InvalidImageConfig").</summary>
    public static OciImageConfig Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException("the config is not a JSON object");
            string[] Strings(JsonElement parent, string name) =>
                parent.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray()
                    : Array.Empty<string>();
            string Str(JsonElement parent, string name) =>
                parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

            if (!root.TryGetProperty("rootfs", out var rootfs) || rootfs.ValueKind != JsonValueKind.Object)
                throw new JsonException("the config has no rootfs");
            var diffIds = Strings(rootfs, "diff_ids");
            foreach (var d in diffIds)
                if (!BlobStore.IsValidDigest(d)) throw new JsonException($"diff_id '{d}' is not a sha256 digest");

            var cfg = new ImageConfig();
            if (root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object)
            {
                cfg.Entrypoint = Strings(c, "Entrypoint");
                cfg.Cmd = Strings(c, "Cmd");
                cfg.Env = Strings(c, "Env");
                cfg.WorkingDir = Str(c, "WorkingDir");
                cfg.User = Str(c, "User");
                cfg.StopSignal = Str(c, "StopSignal");
                if (c.TryGetProperty("ExposedPorts", out var ports) && ports.ValueKind == JsonValueKind.Object)
                    cfg.ExposedPorts = ports.EnumerateObject().Select(p => p.Name).ToArray();
                if (c.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
                    cfg.Labels = labels.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                        .ToDictionary(p => p.Name, p => p.Value.GetString()!);
            }
            var created = DateTime.TryParse(Str(root, "created"), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? t : DateTime.UnixEpoch;
            return new OciImageConfig
            {
                Architecture = Str(root, "architecture") is { Length: > 0 } a ? a : "amd64",
                Os = Str(root, "os") is { Length: > 0 } o ? o : "linux",
                Created = created,
                DiffIds = diffIds,
                Config = cfg,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // InvalidOperationException: strings that are not valid UTF-8 (found by the fuzz test).
            throw new PodShellException(ErrorIds.InvalidImageConfig, FailureKind.InvalidArgument, $"The image config is not valid: {e.Message}", null, e);
        }
    }
}
