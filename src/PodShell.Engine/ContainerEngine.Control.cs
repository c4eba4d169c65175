using PodShell.Engine.Containers;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>Signals, pause and resume, restart and waiting for a state: the verbs that act on a
/// container that already runs.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>The boot the engine runs under; a container started under another boot is not running.</summary>
    internal static string BootId { get; } = ReadBootId();

    private static string ReadBootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (IOException) { return ""; }
    }

    /// <summary>catatonit, as Podman's --init uses it.</summary>
    internal static string? InitBinary() =>
        new[] { "/usr/bin/catatonit", "/usr/libexec/podman/catatonit", "/usr/local/bin/catatonit" }.FirstOrDefault(File.Exists);

    /// <summary>Send any signal to the container's init process (podman kill; SIGKILL by default).</summary>
    public Container KillContainer(string nameOrId, int signal = 9, CancellationToken ct = default)
    {
        var id = GetContainer(nameOrId).Id;
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        if (r.Container.State is not (ContainerState.Running or ContainerState.Paused))
            throw new PodShellException("ContainerNotRunning", FailureKind.InvalidState,
                $"Container '{r.Container.Name}' is {r.Container.State}; only a running container can be signalled.", r.Container);
        if (!Runtime.Kill(id, signal))
            throw new PodShellException("SignalFailed", FailureKind.RuntimeFailed, $"Could not send signal {signal} to container '{r.Container.Name}'.", r.Container);
        return r.Container;
    }

    /// <summary>Stop (with the stop signal and timeout) and start again (podman restart).</summary>
    public Container RestartContainer(string nameOrId, int timeoutSeconds = 10, CancellationToken ct = default)
    {
        var c = GetContainer(nameOrId);
        StopContainer(c.Id, timeoutSeconds, null, ct);
        return StartContainer(c.Id, ct);
    }

    /// <summary>Freeze the container's processes (podman pause).</summary>
    public Container SuspendContainer(string nameOrId, CancellationToken ct = default)
    {
        var id = GetContainer(nameOrId).Id;
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        if (r.Container.State == ContainerState.Paused) return r.Container;
        if (r.Container.State != ContainerState.Running)
            throw new PodShellException("ContainerNotRunning", FailureKind.InvalidState,
                $"Container '{r.Container.Name}' is {r.Container.State}; only a running container can be suspended.", r.Container);
        // The freezer is a cgroup controller: without a cgroup of its own there is nothing to freeze.
        if (!OwnsCgroup(r.Container))
            throw new PodShellException("SuspendNotSupported", FailureKind.NotSupported,
                $"Container '{r.Container.Name}' has no cgroup of its own, so it cannot be frozen: {LimitsEnforcement.Reason}.", r.Container);
        Runtime.Pause(id);
        r.Container.State = ContainerState.Paused;
        Store.UpdateContainerIf(r, ContainerState.Running);
        return r.Container;
    }

    /// <summary>Thaw a suspended container (podman unpause).</summary>
    public Container ResumeContainer(string nameOrId, CancellationToken ct = default)
    {
        var id = GetContainer(nameOrId).Id;
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        if (r.Container.State == ContainerState.Running) return r.Container;
        if (r.Container.State != ContainerState.Paused)
            throw new PodShellException("ContainerNotPaused", FailureKind.InvalidState,
                $"Container '{r.Container.Name}' is {r.Container.State}, not Paused.", r.Container);
        Runtime.Resume(id);
        r.Container.State = ContainerState.Running;
        Store.UpdateContainerIf(r, ContainerState.Paused);
        return r.Container;
    }

    private void ThawForStop(ContainerRecord r)
    {
        try { Runtime.Resume(r.Container.Id); } catch (PodShellException) { }
        r.Container.State = ContainerState.Running;
        Store.UpdateContainerIf(r, ContainerState.Paused);
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
            first = GetContainer(nameOrId);
        }
        catch (PodShellException e) when (e.ErrorId == "ContainerNotFound" && conditions.Contains(ContainerState.Exited)
                                          && LastExit.TryGetValue(nameOrId, out var gone))
        {
            return gone; // auto-removed between the caller's look and ours
        }
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        var last = first;
        while (true)
        {
            var r = Store.GetContainer(first.Id);
            var c = r is null ? null : Reconcile(r)?.Container;
            if (c is null)
            {
                if (conditions.Contains(ContainerState.Exited) && LastExit.TryGetValue(first.Id, out var exited)) return exited;
                throw NotFound(nameOrId);
            }
            last = c;
            if (conditions.Contains(c.State)) return c;
            if (DateTime.UtcNow >= deadline)
                throw new PodShellException("WaitTimeout", FailureKind.ResourceBusy,
                    $"Container '{c.Name}' did not reach {string.Join(" or ", conditions)} within {timeout!.Value.TotalSeconds:0.#} s (it is {c.State}).", c);
            ct.ThrowIfCancellationRequested();
            ct.WaitHandle.WaitOne(50);
        }
    }

    /// <summary>The final record of auto-removed containers, so a waiter still learns the exit code.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Container> LastExit = new();
}
