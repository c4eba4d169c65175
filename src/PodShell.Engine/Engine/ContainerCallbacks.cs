using PodShell.Engine.Containers;

namespace PodShell.Engine;

/// <summary>The few things the network and volume services need from the container services: resolve
/// -Network container:&lt;name&gt;, open a container (its lock held, its record reconciled under that lock) to connect
/// or disconnect it, and remove the containers of a network or volume removed with -Force. The container services
/// themselves need the network and volume services (through the seams, Containers/ContainerSeams.cs), so they are
/// reached here through a function that returns them once they are made; nothing here goes through the facade.</summary>
internal sealed class ContainerCallbacks
{
    private readonly Func<ContainerServices> _containers;

    public ContainerCallbacks(Func<ContainerServices> containers) => _containers = containers;

    /// <summary>The container by name, id or unique id prefix (reconciled without the lock); throws ContainerNotFound.</summary>
    public Container Resolve(string nameOrId) => _containers().Handles.Get(nameOrId);

    /// <summary>Resolve, lock, reconcile under the lock (a half-finished record is repaired at once): dispose to unlock.</summary>
    public ContainerHandle Open(string nameOrId, CancellationToken ct) => _containers().Handles.Open(nameOrId, ct);

    /// <summary>A read's reconcile (no lock: compare-and-set writes only); null when that removed the container.</summary>
    public ContainerRecord? Reconcile(ContainerRecord r) => _containers().Reconciler.Reconcile(r);

    /// <summary>Removes a container by full id (killing it first when forced).</summary>
    public void Remove(string id, bool force, CancellationToken ct) => _containers().Lifecycle.Remove(id, force, ct);
}
