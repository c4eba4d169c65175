using PodShell.Engine.Containers;

namespace PodShell.Engine;

/// <summary>The few things the network and volume services need from the containers service, handed to them
/// as functions so that they never call up into the facade: they resolve -Network container:&lt;name&gt;,
/// connect a container under its lock, and remove the containers of a network or volume removed with
/// -Force. The facade fills it from its own members today; the per-container handle replaces
/// <paramref name="Lock"/> and <paramref name="Reconciled"/> once it exists.</summary>
/// <param name="Resolve">The container by name, id or unique id prefix; throws ContainerNotFound.</param>
/// <param name="Lock">The container's lock (held while its record is read, changed and stored).</param>
/// <param name="Reconciled">The record by full id, brought up to date with its processes; throws ContainerNotFound when it is gone.</param>
/// <param name="Reconcile">The record brought up to date with its processes; null when that removed it.</param>
/// <param name="Remove">Removes a container by full id (killing it first when forced).</param>
internal sealed record ContainerCallbacks(
    Func<string, Container> Resolve,
    Func<string, CancellationToken, IDisposable> Lock,
    Func<string, ContainerRecord> Reconciled,
    Func<ContainerRecord, ContainerRecord?> Reconcile,
    Action<string, bool, CancellationToken> Remove);
