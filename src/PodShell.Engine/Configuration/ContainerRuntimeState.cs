using System.Text.Json.Serialization;

namespace PodShell.Engine.Configuration;

/// <summary>Where a container is in its life, as the store keeps it: what a start, an exit or a reconcile changes.
/// The monitor's pid and the owner of a transition stay in their own columns (StateStore), where a compare-and-set
/// reads them. Every JSON name is fixed here, as in <see cref="ContainerConfig"/>.</summary>
public sealed class ContainerRuntimeState
{
    [JsonPropertyName("state"), JsonConverter(typeof(ContainerStateJsonConverter))] public ContainerState State { get; set; }
    /// <summary>Host pid of the init process while it runs, else 0.</summary>
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("exitCode")] public int? ExitCode { get; set; }
    [JsonPropertyName("oomKilled")] public bool OomKilled { get; set; }
    [JsonPropertyName("startedAt")] public DateTime? StartedAt { get; set; }
    [JsonPropertyName("finishedAt")] public DateTime? FinishedAt { get; set; }
    /// <summary>Boot id of the kernel it was started under; a different one means a reboot.</summary>
    [JsonPropertyName("bootId")] public string BootId { get; set; } = "";
    /// <summary>Its addresses on its networks while it runs, in the order of <see cref="ContainerConfig.Networks"/>.</summary>
    [JsonPropertyName("ipAddresses")] public string[] IPAddresses { get; set; } = Array.Empty<string>();
}
