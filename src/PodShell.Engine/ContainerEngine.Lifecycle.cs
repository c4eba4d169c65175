using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>The life of a container: create, start, stop, remove, wait, read (Containers/: ContainerCreation,
/// ContainerLifecycle, ContainerWaiter, ContainerHandles). Every verb takes a name, a full id or a unique id prefix.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>Podman's default pids limit (containers.conf pids_limit).</summary>
    public const long DefaultPidsLimit = Configuration.ContainerResources.DefaultPidsLimit;

    /// <summary>Create a container: record, writable layer, overlay mount, /etc files and config.json.
    /// Any failure undoes every step, so a bad request leaves nothing behind.</summary>
    public Container CreateContainer(CreateOptions o, CancellationToken ct = default) => Services.Creation.Create(o, ct);

    /// <summary>Start a Created (or Exited) container under conmon (see <see cref="ContainerLifecycle.Start"/>); the
    /// caller of an attached -AutoRemove start ends its hold with <see cref="ReleaseAutoRemove"/>.</summary>
    public Container StartContainer(string nameOrId, CancellationToken ct = default, bool attached = false) =>
        Services.Lifecycle.Start(nameOrId, ct, attached);

    /// <summary>Send the stop signal, wait up to <paramref name="timeoutSeconds"/>, then SIGKILL, as podman stop does.
    /// Stopping a container that is not running does nothing.</summary>
    public Container StopContainer(string nameOrId, int timeoutSeconds = 10, int? signal = null, CancellationToken ct = default) =>
        Services.Lifecycle.Stop(nameOrId, timeoutSeconds, signal, ct);

    /// <summary>Remove a container and everything it owns. A running container needs force (then it is killed first).</summary>
    public void RemoveContainer(string nameOrId, bool force, CancellationToken ct = default) => Services.Lifecycle.Remove(nameOrId, force, ct);

    /// <summary>Block until the container has exited and return its exit code (podman wait).</summary>
    public int WaitContainer(string nameOrId, TimeSpan? timeout = null, CancellationToken ct = default) => Services.Waiter.Wait(nameOrId, timeout, ct);

    /// <summary>Block until the container reaches one of <paramref name="conditions"/> (podman wait --condition).</summary>
    public Container WaitForState(string nameOrId, IReadOnlyCollection<ContainerState> conditions, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Services.Waiter.WaitForState(nameOrId, conditions, timeout, ct);

    /// <summary>The attached client of an -AutoRemove run is done with the container (see ContainerReconciler).</summary>
    public void ReleaseAutoRemove(string id) => Services.Reconciler.ReleaseAutoRemove(id);

    public IReadOnlyList<Container> GetContainers() => Services.Handles.List();

    /// <summary>By exact name, full id, or unique id prefix, as podman resolves them.</summary>
    public Container GetContainer(string nameOrId) => Services.Handles.Get(nameOrId);

    // ---- internal entry points for tests and the seams ----
    /// <summary>Resolve + lock + reconcile in one step (Containers/ContainerHandle.cs).</summary>
    internal ContainerHandle OpenContainer(string nameOrId, CancellationToken ct = default) => Services.Handles.Open(nameOrId, ct);

    /// <summary>A read's reconcile (no lock: compare-and-set writes only; see ContainerReconciler).</summary>
    internal ContainerRecord? Reconcile(ContainerRecord r) => Services.Reconciler.Reconcile(r);
}
