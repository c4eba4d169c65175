using System.Text.Json.Serialization;
using PodShell.Engine.Network;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Configuration;

/// <summary>What a container was made with, typed and validated (New-Container's options resolved against the
/// image and the host), as the store keeps it. Changes only by an explicit request (Set-ContainerResource,
/// Connect-ContainerNetwork); what changes as the container runs is <see cref="ContainerRuntimeState"/>.
/// Every JSON name is fixed here: renaming a C# property must not change the store's format (design.md, The
/// store). A new property needs a default that is right for rows written before it existed.</summary>
public sealed partial class ContainerConfig
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("image")] public string Image { get; set; } = "";
    [JsonPropertyName("imageId")] public string ImageId { get; set; } = "";
    [JsonPropertyName("created")] public DateTime Created { get; set; }
    [JsonPropertyName("command")] public string[] Command { get; set; } = Array.Empty<string>();
    [JsonPropertyName("entrypoint")] public string[] Entrypoint { get; set; } = Array.Empty<string>();
    [JsonPropertyName("hostname")] public string Hostname { get; set; } = "";
    [JsonPropertyName("workingDirectory")] public string WorkingDirectory { get; set; } = "/";
    [JsonPropertyName("user")] public string User { get; set; } = "";
    [JsonPropertyName("stopSignal")] public string StopSignal { get; set; } = "SIGTERM";
    [JsonPropertyName("environment")] public string[] Environment { get; set; } = Array.Empty<string>();
    [JsonPropertyName("labels")] public Dictionary<string, string> Labels { get; set; } = new();
    [JsonPropertyName("runtime")] public string Runtime { get; set; } = "";
    [JsonPropertyName("bundlePath")] public string BundlePath { get; set; } = "";
    [JsonPropertyName("layerId")] public string LayerId { get; set; } = "";
    /// <summary>Null: the log file has no size limit.</summary>
    [JsonPropertyName("logSizeMax")] public long? LogSizeMax { get; set; }
    [JsonPropertyName("autoRemove")] public bool AutoRemove { get; set; }
    [JsonPropertyName("init")] public bool Init { get; set; }
    [JsonPropertyName("rootless")] public bool Rootless { get; set; }
    [JsonPropertyName("resources")] public ContainerResources Resources { get; set; } = new();

    [JsonPropertyName("privileged")] public bool Privileged { get; set; }
    [JsonPropertyName("readOnly")] public bool ReadOnly { get; set; }
    [JsonPropertyName("capabilities")] public string[] Capabilities { get; set; } = Array.Empty<string>();
    [JsonPropertyName("capAdd")] public string[] CapAdd { get; set; } = Array.Empty<string>();
    [JsonPropertyName("capDrop")] public string[] CapDrop { get; set; } = Array.Empty<string>();
    [JsonPropertyName("securityOpt")] public string[] SecurityOpt { get; set; } = Array.Empty<string>();
    [JsonPropertyName("seccomp")] public string Seccomp { get; set; } = "default";
    [JsonPropertyName("ulimits"), JsonConverter(typeof(UlimitsJsonConverter))] public Ulimit[] Ulimits { get; set; } = Array.Empty<Ulimit>();
    [JsonPropertyName("devices")] public string[] Devices { get; set; } = Array.Empty<string>();
    [JsonPropertyName("tmpfs")] public string[] Tmpfs { get; set; } = Array.Empty<string>();
    [JsonPropertyName("mounts")] public VolumeMountSpec[] Mounts { get; set; } = Array.Empty<VolumeMountSpec>();

    /// <summary>"none", "host", a network name, "slirp4netns" (rootless) or "container:&lt;id&gt;".</summary>
    [JsonPropertyName("network")] public string Network { get; set; } = "none";
    /// <summary>The networks it is attached to (empty for none, host and container:&lt;id&gt;).</summary>
    [JsonPropertyName("networks")] public string[] Networks { get; set; } = Array.Empty<string>();
    [JsonPropertyName("ports")] public PortMapping[] Ports { get; set; } = Array.Empty<PortMapping>();
    [JsonPropertyName("pidMode"), JsonConverter(typeof(NamespaceModeJsonConverter))] public NamespaceMode PidMode { get; set; } = NamespaceMode.Private;
    [JsonPropertyName("ipcMode"), JsonConverter(typeof(NamespaceModeJsonConverter))] public NamespaceMode IpcMode { get; set; } = NamespaceMode.Private;
    [JsonPropertyName("utsMode"), JsonConverter(typeof(NamespaceModeJsonConverter))] public NamespaceMode UtsMode { get; set; } = NamespaceMode.Private;
}
