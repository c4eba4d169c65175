using System.Text.Json;
using System.Text.Json.Nodes;

namespace PodShell.Engine.Images;

/// <summary>podman commit --change: Dockerfile instructions applied to an image config's "config" object.</summary>
public static class ImageChanges
{
    public static readonly string[] Words = { "CMD", "ENTRYPOINT", "ENV", "LABEL", "EXPOSE", "WORKDIR", "USER", "STOPSIGNAL" };

    public static void Apply(JsonObject imageConfig, IEnumerable<string> changes)
    {
        ArgumentNullException.ThrowIfNull(imageConfig);
        var cfg = imageConfig["config"] as JsonObject ?? new JsonObject();
        imageConfig["config"] = cfg;
        foreach (var change in changes)
        {
            var (word, value) = Split(change);
            switch (word)
            {
                case "CMD": cfg["Cmd"] = Command(value, change); break;
                case "ENTRYPOINT": cfg["Entrypoint"] = Command(value, change); break;
                case "WORKDIR": cfg["WorkingDir"] = value; break;
                case "USER": cfg["User"] = value; break;
                case "STOPSIGNAL": cfg["StopSignal"] = value; break;
                case "ENV":
                {
                    var (k, v) = Pair(value, change);
                    var env = cfg["Env"] as JsonArray ?? new JsonArray();
                    foreach (var old in env.Where(x => x?.GetValue<string>() is { } s && (s == k || s.StartsWith(k + "=", StringComparison.Ordinal))).ToList())
                        env.Remove(old);
                    env.Add((JsonNode)(k + "=" + v));
                    cfg["Env"] = env;
                    break;
                }
                case "LABEL":
                {
                    var (k, v) = Pair(value, change);
                    var labels = cfg["Labels"] as JsonObject ?? new JsonObject();
                    labels[k] = v;
                    cfg["Labels"] = labels;
                    break;
                }
                case "EXPOSE":
                {
                    var ports = cfg["ExposedPorts"] as JsonObject ?? new JsonObject();
                    foreach (var port in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var p = port.Contains('/') ? port : port + "/tcp";
                        if (!int.TryParse(p.Split('/')[0], out var n) || n is < 1 or > 65535)
                            throw Invalid(change, $"'{port}' is not a port number.");
                        ports[p] = new JsonObject();
                    }
                    cfg["ExposedPorts"] = ports;
                    break;
                }
                default:
                    throw Invalid(change, $"'{word}' cannot be changed; use one of {string.Join(", ", Words)}.");
            }
        }
    }

    // "CMD=value", "CMD value" or "CMD [...]".
    private static (string Word, string Value) Split(string change)
    {
        var trimmed = change.Trim();
        int i = 0;
        while (i < trimmed.Length && char.IsLetter(trimmed[i])) i++;
        if (i == 0 || i == trimmed.Length || (trimmed[i] != '=' && !char.IsWhiteSpace(trimmed[i])))
            throw Invalid(change, "A change is 'WORD=value' or 'WORD value', e.g. CMD=/bin/sh or ENV=A=1.");
        return (trimmed[..i].ToUpperInvariant(), trimmed[(i + 1)..].Trim());
    }

    // JSON array form as given; anything else is shell form, run by /bin/sh -c as Dockerfile does.
    private static JsonArray Command(string value, string change)
    {
        if (value.StartsWith('['))
        {
            try
            {
                var arr = JsonSerializer.Deserialize<string[]>(value) ?? Array.Empty<string>();
                return new JsonArray(arr.Select(s => (JsonNode)s!).ToArray());
            }
            catch (JsonException e)
            {
                throw Invalid(change, "The JSON array form is not valid JSON: " + e.Message);
            }
        }
        if (value.Length == 0) return new JsonArray();
        return new JsonArray("/bin/sh", "-c", value);
    }

    // "K=V" or "K V".
    private static (string Key, string Value) Pair(string value, string change)
    {
        int eq = value.IndexOf('='), sp = value.IndexOf(' ');
        int at = eq >= 0 && (sp < 0 || eq < sp) ? eq : sp;
        if (at <= 0) throw Invalid(change, "Give a key and a value: KEY=value.");
        var v = value[(at + 1)..].Trim();
        if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') v = v[1..^1];
        return (value[..at].Trim(), v);
    }

    private static PodShellException Invalid(string change, string why) =>
        new(ErrorIds.InvalidChange, FailureKind.InvalidArgument, $"Cannot apply change '{change}': {why}", change);
}
