using System.Text.Json;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>JSON shapes every section of config.json shares.</summary>
internal static class SpecJson
{
    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
