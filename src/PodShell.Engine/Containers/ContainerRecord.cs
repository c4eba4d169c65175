using PodShell.Engine.Configuration;

namespace PodShell.Engine.Containers;

/// <summary>A container row: the public view of its configuration and state (<see cref="ContainerProjection"/>),
/// and the bookkeeping the engine keeps beside it but does not show: who is creating or starting it (so a killed
/// pwsh can be detected), and the monitor's pid.</summary>
public sealed class ContainerRecord
{
    public Container Container { get; set; } = new();
    /// <summary>pid and /proc start time of the process in the middle of Creating/Starting/Removing; while an
    /// -AutoRemove container runs or has exited, the attached client (Invoke-Container) that still reads its output
    /// and removes it itself, so that no other process removes it first (0: none).</summary>
    public int OwnerPid { get; set; }
    public ulong OwnerStart { get; set; }
    public int ConmonPid { get; set; }
    public ulong PidStart { get; set; }
}
