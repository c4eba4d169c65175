namespace PodShell;

/// <summary>Where a container is in its life. Creating and Starting are transient: a pwsh killed
/// during them leaves a record that the next engine call repairs.</summary>
public enum ContainerState
{
    Creating,
    Created,
    Starting,
    Running,
    /// <summary>Frozen by Suspend-Container (the cgroup freezer).</summary>
    Paused,
    Stopping,
    Exited,
    Removing,
}
