namespace PodShell.Engine;

/// <summary>Signals, pause and resume, restart (Containers/ContainerControl.cs).</summary>
public sealed partial class ContainerEngine
{
    /// <summary>Send any signal to the container's init process (podman kill; SIGKILL by default).</summary>
    public Container KillContainer(string nameOrId, int signal = 9, CancellationToken ct = default) => Services.Control.Kill(nameOrId, signal, ct);

    /// <summary>Stop (with the stop signal and timeout) and start again (podman restart).</summary>
    public Container RestartContainer(string nameOrId, int timeoutSeconds = 10, CancellationToken ct = default) =>
        Services.Control.Restart(nameOrId, timeoutSeconds, ct);

    /// <summary>Freeze the container's processes (podman pause).</summary>
    public Container SuspendContainer(string nameOrId, CancellationToken ct = default) => Services.Control.Suspend(nameOrId, ct);

    /// <summary>Thaw a suspended container (podman unpause).</summary>
    public Container ResumeContainer(string nameOrId, CancellationToken ct = default) => Services.Control.Resume(nameOrId, ct);
}
