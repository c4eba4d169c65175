using System.Text.Json;
using System.Text.Json.Serialization;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Configuration;

/// <summary>A container row's JSON (schema version 1 on): its configuration and its runtime state.</summary>
public sealed class StoredContainer
{
    [JsonPropertyName("config")] public ContainerConfig Config { get; set; } = new();
    [JsonPropertyName("state")] public ContainerRuntimeState State { get; set; } = new();
}

/// <summary>A container state by its name ("Running"), the same text as the row's state column, never by its
/// number: a member added to the enum must not change what stored rows mean.</summary>
internal sealed class ContainerStateJsonConverter : JsonConverter<ContainerState>
{
    public override ContainerState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Enum.TryParse<ContainerState>(reader.GetString(), ignoreCase: false, out var s) && Enum.IsDefined(s)
            ? s : throw new JsonException($"'{reader.GetString()}' is not a container state.");

    public override void Write(Utf8JsonWriter writer, ContainerState value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>A namespace mode in its text form ("private", "host", "container:&lt;id&gt;").</summary>
internal sealed class NamespaceModeJsonConverter : JsonConverter<NamespaceMode>
{
    public override NamespaceMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? "";
        if (text == "host") return NamespaceMode.Host;
        if (text.StartsWith("container:", StringComparison.Ordinal)) return new NamespaceMode(NamespaceModeKind.Container, text["container:".Length..]);
        return NamespaceMode.Private;
    }

    public override void Write(Utf8JsonWriter writer, NamespaceMode value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>Ulimits in podman's text form ("nofile=1024:2048", -1 unlimited), which names them stably.</summary>
internal sealed class UlimitsJsonConverter : JsonConverter<Ulimit[]>
{
    public override Ulimit[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("ulimits must be an array of strings.");
        var list = new List<Ulimit>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            try { list.Add(Ulimit.Parse(reader.GetString())); }
            catch (PodShellException e) { throw new JsonException(e.Message, e); }
        }
        return list.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, Ulimit[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var u in value) writer.WriteStringValue(u.ToString());
        writer.WriteEndArray();
    }
}
