using System.Text.Json.Serialization;
using PodShell.Engine.Configuration;

namespace PodShell.Engine.Containers;

/// <summary>Compile-time JSON metadata for what the store keeps as JSON. The names are fixed on the types
/// ([JsonPropertyName]); a container row is a <see cref="StoredContainer"/> (schema version 1).</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(StoredContainer))]
[JsonSerializable(typeof(ContainerImage))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class StoreJson : JsonSerializerContext;
