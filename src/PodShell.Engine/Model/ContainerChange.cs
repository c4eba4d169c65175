namespace PodShell;

public enum ChangeKind
{
    Added,
    Changed,
    Deleted,
}

/// <summary>A path the container changed, from its overlay upper dir (podman diff).</summary>
public sealed class ContainerChange
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    /// <summary>The path inside the container, e.g. /etc/passwd.</summary>
    public string Path { get; set; } = "";
    public ChangeKind Kind { get; set; }

    public override string ToString() => $"{Kind.ToString()[0]} {Path}";
}
