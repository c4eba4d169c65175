namespace PodShell.Engine.Containers;

/// <summary>Waiting for a container to reach a state (podman wait). A waiter takes no lock: it reads and reconciles
/// (so it is the one that notices the exit when no one else looks), every 50 ms.</summary>
internal sealed class ContainerWaiter
{
    private readonly ContainerHandles _handles;

    public ContainerWaiter(ContainerHandles handles) => _handles = handles;

    /// <summary>Block until the container has exited and return its exit code (podman wait).</summary>
    public int Wait(string nameOrId, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        Container c;
        try
        {
            c = _handles.Get(nameOrId);
        }
        catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNotFound && ContainerReconciler.LastExit.TryGetValue(nameOrId, out var gone))
        {
            return gone.ExitCode ?? -1; // auto-removed the moment it was looked at
        }
        if (c.State == ContainerState.Created)
            throw new PodShellException(ErrorIds.ContainerNotRunning, FailureKind.InvalidState,
                $"Container '{c.Name}' has not been started, so there is nothing to wait for.", c);
        return WaitForState(c.Id, new[] { ContainerState.Exited }, timeout, ct).ExitCode ?? -1;
    }

    /// <summary>Block until the container reaches one of <paramref name="conditions"/> (podman wait
    /// --condition). Returns the container as it then is; a container removed while waited for (auto-remove)
    /// counts as Exited with its last known exit code.</summary>
    public Container WaitForState(string nameOrId, IReadOnlyCollection<ContainerState> conditions, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Wait, "state");
        Container first;
        try
        {
            first = _handles.Get(nameOrId);
        }
        catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNotFound && conditions.Contains(ContainerState.Exited)
                                          && ContainerReconciler.LastExit.TryGetValue(nameOrId, out var gone))
        {
            return gone; // auto-removed between the caller's look and ours
        }
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        while (true)
        {
            var c = _handles.TryGetById(first.Id);
            if (c is null)
            {
                if (conditions.Contains(ContainerState.Exited) && ContainerReconciler.LastExit.TryGetValue(first.Id, out var exited)) return exited;
                throw ContainerHandles.NotFound(nameOrId);
            }
            if (conditions.Contains(c.State)) return c;
            if (DateTime.UtcNow >= deadline)
                throw new PodShellException(ErrorIds.WaitTimeout, FailureKind.ResourceBusy,
                    $"Container '{c.Name}' did not reach {string.Join(" or ", conditions)} within {timeout!.Value.TotalSeconds:0.#} s (it is {c.State}).", c);
            ct.ThrowIfCancellationRequested();
            ct.WaitHandle.WaitOne(50);
        }
    }
}
