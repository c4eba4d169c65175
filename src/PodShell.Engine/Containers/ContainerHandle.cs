using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>One container, opened for a verb (docs/design.md, "Container handle"): resolved from a name or id, its
/// lock held until Dispose, its record reconciled under that lock. Every write goes through here: <see cref="TryUpdate"/>
/// and <see cref="TryTransition"/> are compare-and-set (the record is written only if the state in the store is one
/// expected), so a change another process made without the lock (the fold of an exit, read by a list) is never
/// overwritten. Made by <see cref="ContainerHandles.Open"/>.</summary>
internal sealed class ContainerHandle : IDisposable
{
    private readonly StateStore _store;
    private readonly ContainerReconciler _reconciler;
    private FileLock? _lock;

    internal ContainerHandle(StateStore store, ContainerReconciler reconciler, FileLock held, ContainerRecord record)
    {
        _store = store;
        _reconciler = reconciler;
        _lock = held;
        Record = record;
    }

    public string Id => Record.Container.Id;
    public ContainerRecord Record { get; private set; }
    public Container Container => Record.Container;

    /// <summary>Reads the record again and reconciles it (under the lock, so a repair is made at once). Returns null
    /// when it no longer exists (an -AutoRemove container removed by the fold of its exit); <see cref="Record"/> then
    /// keeps the last state seen.</summary>
    public ContainerRecord? Refresh()
    {
        var now = _store.GetContainer(Id);
        var r = now is null ? null : _reconciler.Reconcile(now, locked: true);
        if (r != null) Record = r;
        return r;
    }

    /// <summary>Writes <see cref="Record"/> if the stored state is one of <paramref name="expected"/>.</summary>
    public bool TryUpdate(params ContainerState[] expected) => _store.UpdateContainerIf(Record, expected);

    /// <summary>Writes <see cref="Record"/> as it is: for a state only this lock holder moves from (Starting, Removing).</summary>
    public void Update() => _store.UpdateContainer(Record);

    /// <summary>Moves the stored record from one of <paramref name="from"/> to <paramref name="to"/>, owned by this
    /// process (a killed owner is repaired by the next reconcile); null when the state was another one.</summary>
    public ContainerRecord? TryTransition(ContainerState[] from, ContainerState to)
    {
        var self = ProcStat.Self();
        var r = _store.TryTransition(Id, from, to, self.Pid, self.Start);
        if (r != null) Record = r;
        return r;
    }

    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }
}
