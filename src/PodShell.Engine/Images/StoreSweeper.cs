using Microsoft.Data.Sqlite;

namespace PodShell.Engine.Images;

/// <summary>Finishes what a killed process left in the layer and blob stores, as containers/storage does with its
/// incomplete flag. It owns the stamps that make the sweep cheap; it reads the state store, the layer store and the
/// blob store and calls no other service (docs/design.md, "Image services").</summary>
internal sealed class StoreSweeper
{
    private readonly EngineContext _ctx;

    // The mtimes of overlay/ and blobs/tmp when a sweep last found nothing left to wait for (null: sweep next time).
    private readonly object _sweepLock = new();
    private DateTime? _overlaySwept, _tempSwept;

    /// <summary>A stamp this close to the moment it was read is not trusted: the kernel stamps with a coarse clock,
    /// and a writer may be between its signal (a mkdir, or <see cref="Layers.LayerStore.MarkRemoving"/>'s touch) and the
    /// marker a sweep looks for. Such a stamp is not remembered, so the next call sweeps again.</summary>
    private static readonly TimeSpan StampMargin = TimeSpan.FromSeconds(5);

    public StoreSweeper(EngineContext ctx) => _ctx = ctx;

    /// <summary><c>.incomplete-*</c> staging dirs and layers still marked incomplete (a killed import, create, commit
    /// or layer removal) whose owner is dead, their rows with them; blob temp files of dead writers (a killed pull,
    /// import or commit). Cheap unless something changed: one stat of overlay/ and one of blobs/tmp, and a directory
    /// is read only when its mtime moved since the last sweep that left nothing pending (or a live owner's leftovers
    /// were seen then), so Get-Container can run it on every call. Run when an engine opens the store (each new
    /// pwsh), by Get-Container, create, commit, import and register. Never fails the caller.</summary>
    public void SweepIfChanged(bool force = false)
    {
        lock (_sweepLock)
        {
            try
            {
                var now = DateTime.UtcNow;
                var overlay = _ctx.Layers.RootStamp();
                if (force || _overlaySwept != overlay)
                {
                    // The row goes first: a kill between the two leaves the marked directory for the next sweep.
                    _ctx.Layers.RemoveIncomplete(_ctx.Store.DeleteLayer, out int pending);
                    _overlaySwept = pending == 0 && overlay < now - StampMargin ? overlay : null;
                }
                var temp = _ctx.Blobs.TempStamp();
                if (force || _tempSwept != temp)
                {
                    int pending = _ctx.Blobs.RemoveStaleTemp();
                    _tempSwept = pending == 0 && temp < now - StampMargin ? temp : null;
                }
            }
            catch (Exception e) when (e is PodShellException or IOException or UnauthorizedAccessException or SqliteException)
            {
                _overlaySwept = _tempSwept = null; // the next call tries again
            }
        }
    }

    /// <summary>The full sweep, when an engine opens the store and at garbage collection: the above, and layer rows
    /// whose directory is gone altogether (left by engines before layer removal marked first; a row is written only
    /// after its directory is complete, so no writer is between the two).</summary>
    public void Sweep()
    {
        SweepIfChanged(force: true);
        try
        {
            foreach (var id in _ctx.Store.LayerIds())
                if (_ctx.Layers.DirectoryMissing(id)) _ctx.Store.DeleteLayer(id);
        }
        catch (Exception e) when (e is PodShellException or IOException or UnauthorizedAccessException or SqliteException) { }
    }
}
