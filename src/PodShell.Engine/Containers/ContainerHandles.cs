namespace PodShell.Engine.Containers;

/// <summary>Finds containers by name or id and opens them (<see cref="ContainerHandle"/>). Reads (<see cref="Get"/>,
/// <see cref="List"/>) reconcile without the container lock: their writes are compare-and-set and a repair is made
/// only when the lock is free (<see cref="ContainerReconciler"/>), so listing costs no lock per container.</summary>
internal sealed class ContainerHandles
{
    private readonly EngineContext _ctx;
    private readonly ContainerLocks _locks;
    private readonly ContainerReconciler _reconciler;
    private readonly RunRootRefresh _refresh;
    private readonly IContainerImages _images;

    public ContainerHandles(EngineContext ctx, ContainerLocks locks, ContainerReconciler reconciler, RunRootRefresh refresh, IContainerImages images)
    {
        _ctx = ctx;
        _locks = locks;
        _reconciler = reconciler;
        _refresh = refresh;
        _images = images;
    }

    public static PodShellException NotFound(string idOrName) =>
        new(ErrorIds.ContainerNotFound, FailureKind.NotFound, $"No container with the name or id '{idOrName}' exists.", idOrName);

    /// <summary>The stored record, not reconciled: a full id by key; else an exact name, an exact id, or a unique id
    /// prefix, as podman resolves them. Throws ContainerNotFound or AmbiguousContainerId.</summary>
    public ContainerRecord Find(string nameOrId)
    {
        // The verbs called with the id the last call returned (Start, Stop, Remove) cost one keyed read, not a list.
        if (nameOrId.Length == 64 && _ctx.Store.GetContainer(nameOrId) is { } byId) return byId;
        var all = _ctx.Store.ListContainers();
        var hit = all.FirstOrDefault(r => r.Container.Name == nameOrId)
            ?? all.FirstOrDefault(r => r.Container.Id == nameOrId);
        if (hit is null && nameOrId.Length > 0 && nameOrId.All(Uri.IsHexDigit))
        {
            var prefix = all.Where(r => r.Container.Id.StartsWith(nameOrId, StringComparison.OrdinalIgnoreCase)).ToList();
            if (prefix.Count > 1)
                throw new PodShellException(ErrorIds.AmbiguousContainerId, FailureKind.InvalidArgument,
                    $"'{nameOrId}' matches {prefix.Count} containers; give more of the id.", nameOrId);
            hit = prefix.FirstOrDefault();
        }
        return hit ?? throw NotFound(nameOrId);
    }

    /// <summary>Resolve, lock, read again under the lock, reconcile: the start of every verb that changes a container.
    /// Dispose the handle to release the lock.</summary>
    public ContainerHandle Open(string nameOrId, CancellationToken ct = default)
    {
        _refresh.Ensure();
        // A full id (what the last call returned) is locked first and read once under the lock: one query per verb,
        // as the round-trip guard tests count. Anything else is resolved from the list, then read again under the lock.
        bool fullId = nameOrId.Length == 64 && nameOrId.All(Uri.IsHexDigit);
        if (fullId && OpenById(nameOrId, nameOrId, ct) is { } byId) return byId;
        var id = Find(nameOrId).Container.Id;
        // Resolved before the lock: it may have been removed (or removed and its name reused) meanwhile.
        return OpenById(id, nameOrId, ct) ?? throw NotFound(nameOrId);
    }

    private ContainerHandle? OpenById(string id, string asked, CancellationToken ct)
    {
        var held = _locks.Lock(id, ct);
        try
        {
            var now = _ctx.Store.GetContainer(id);
            if (now is null) { held.Dispose(); return null; }
            var r = _reconciler.Reconcile(now, locked: true) ?? throw NotFound(asked);
            return new ContainerHandle(_ctx.Store, _reconciler, held, r);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>The container as it now is (reconciled, without the lock).</summary>
    public Container Get(string nameOrId)
    {
        _refresh.Ensure();
        return (_reconciler.Reconcile(Find(nameOrId)) ?? throw NotFound(nameOrId)).Container;
    }

    /// <summary>The container, which must be running: <paramref name="what"/> names what exists only while it runs.</summary>
    public Container GetRunning(string nameOrId, string what)
    {
        var c = Get(nameOrId);
        if (c.State != ContainerState.Running || c.Pid <= 0)
            throw new PodShellException(ErrorIds.ContainerNotRunning, FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}: {what} exist only while it runs. Start it with Start-Container.", c);
        return c;
    }

    /// <summary>The container by id, reconciled without the lock; null when it no longer exists.</summary>
    public Container? TryGetById(string id) =>
        _ctx.Store.GetContainer(id) is { } r ? _reconciler.Reconcile(r)?.Container : null;

    public IReadOnlyList<Container> List()
    {
        _refresh.Ensure();
        _images.SweepIfChanged(); // two stats unless the store changed: see ContainerEngine.StoreSweep
        var list = new List<Container>();
        foreach (var r in _ctx.Store.ListContainers())
            if (_reconciler.Reconcile(r) is { } ok) list.Add(ok.Container);
        return list;
    }
}
