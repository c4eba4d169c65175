namespace PodShell;

/// <summary>One line of container output from the k8s-file log that conmon writes.</summary>
public sealed class ContainerLogEntry
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    public DateTime Time { get; set; }
    /// <summary>stdout or stderr.</summary>
    public string Stream { get; set; } = "stdout";
    public string Line { get; set; } = "";
    public override string ToString() => Line;
}
