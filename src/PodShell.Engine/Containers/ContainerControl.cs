namespace PodShell.Engine.Containers;

/// <summary>Signals, pause and resume, restart: the verbs that act on a container that already runs, each on an
/// opened <see cref="ContainerHandle"/>.</summary>
internal sealed class ContainerControl
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerLifecycle _lifecycle;

    public ContainerControl(EngineContext ctx, ContainerHandles handles, ContainerLifecycle lifecycle)
    {
        _ctx = ctx;
        _handles = handles;
        _lifecycle = lifecycle;
    }

    /// <summary>Send any signal to the container's init process (podman kill; SIGKILL by default).</summary>
    public Container Kill(string nameOrId, int signal = 9, CancellationToken ct = default)
    {
        using var h = _handles.Open(nameOrId, ct);
        var c = h.Container;
        if (c.State is not (ContainerState.Running or ContainerState.Paused))
            throw new PodShellException(ErrorIds.ContainerNotRunning, FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}; only a running container can be signalled.", c);
        if (!_ctx.Runtime.Kill(h.Id, signal))
            throw new PodShellException(ErrorIds.SignalFailed, FailureKind.RuntimeFailed, $"Could not send signal {signal} to container '{c.Name}'.", c);
        return c;
    }

    /// <summary>Stop (with the stop signal and timeout) and start again (podman restart).</summary>
    public Container Restart(string nameOrId, int timeoutSeconds = 10, CancellationToken ct = default)
    {
        // The id, so that both halves act on the same container even if the name is taken over in between.
        var id = _handles.Get(nameOrId).Id;
        _lifecycle.Stop(id, timeoutSeconds, null, ct);
        return _lifecycle.Start(id, ct);
    }

    /// <summary>Freeze the container's processes (podman pause).</summary>
    public Container Suspend(string nameOrId, CancellationToken ct = default)
    {
        using var h = _handles.Open(nameOrId, ct);
        var c = h.Container;
        if (c.State == ContainerState.Paused) return c;
        if (c.State != ContainerState.Running)
            throw new PodShellException(ErrorIds.ContainerNotRunning, FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}; only a running container can be suspended.", c);
        // The freezer is a cgroup controller: without a cgroup of its own there is nothing to freeze.
        if (!_ctx.Host.OwnsCgroup(c))
            throw new PodShellException(ErrorIds.SuspendNotSupported, FailureKind.NotSupported,
                $"Container '{c.Name}' has no cgroup of its own, so it cannot be frozen: {_ctx.Host.LimitsEnforcement.Reason}.", c);
        _ctx.Runtime.Pause(h.Id);
        c.State = ContainerState.Paused;
        h.TryUpdate(ContainerState.Running);
        return c;
    }

    /// <summary>Thaw a suspended container (podman unpause).</summary>
    public Container Resume(string nameOrId, CancellationToken ct = default)
    {
        using var h = _handles.Open(nameOrId, ct);
        var c = h.Container;
        if (c.State == ContainerState.Running) return c;
        if (c.State != ContainerState.Paused)
            throw new PodShellException(ErrorIds.ContainerNotPaused, FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}, not Paused.", c);
        _ctx.Runtime.Resume(h.Id);
        c.State = ContainerState.Running;
        h.TryUpdate(ContainerState.Paused);
        return c;
    }
}
