using PodShell.Engine.Images;

namespace PodShell.Engine;

/// <summary>podman system df. It measures the layer store itself; the containers and volumes to count are handed in
/// (as the containers' and volumes' owners list them), so it depends on no service but the sweeper.</summary>
internal sealed class StorageUsageReport
{
    private readonly EngineContext _ctx;
    private readonly StoreSweeper _sweeper;

    public StorageUsageReport(EngineContext ctx, StoreSweeper sweeper)
    {
        _ctx = ctx;
        _sweeper = sweeper;
    }

    /// <summary>Space used by images, containers and volumes (podman system df). Sizes are walked on disk (layer
    /// diff dirs, container upper dirs, volume data), not taken from records; a layer shared by several images
    /// counts once, and is reclaimable only when no image a container uses holds it. Half-written layers of dead
    /// processes are removed first; those of live ones count in the Images row.</summary>
    public IReadOnlyList<StorageUsage> Measure(Func<IReadOnlyList<Container>> containerList, Func<IReadOnlyList<ContainerVolume>> volumeList, CancellationToken ct)
    {
        _sweeper.SweepIfChanged();
        var containers = containerList();
        var images = _ctx.Store.ListImages();
        var usedImages = containers.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal);

        var layerSize = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var layer in images.SelectMany(i => i.Layers).Distinct())
        {
            ct.ThrowIfCancellationRequested();
            layerSize[layer] = _ctx.Layers.Exists(layer) ? IO.DiskUsage.Of(_ctx.Layers.Get(layer).DiffDir) : 0;
        }
        // What is left of .incomplete-* after the sweep belongs to a live process (an import or pull under way): it
        // is on disk, so it counts, but it is not reclaimable.
        long incomplete = 0;
        foreach (var dir in _ctx.Layers.IncompleteDirectories()) incomplete += IO.DiskUsage.Of(dir);
        var activeLayers = images.Where(i => usedImages.Contains(i.Id)).SelectMany(i => i.Layers).ToHashSet(StringComparer.Ordinal);
        var imageUsage = new StorageUsage
        {
            Type = "Images",
            Total = images.Count,
            Active = images.Count(i => usedImages.Contains(i.Id)),
            Size = layerSize.Values.Sum() + incomplete,
            Reclaimable = layerSize.Where(kv => !activeLayers.Contains(kv.Key)).Sum(kv => kv.Value),
        };

        long ctrSize = 0, ctrReclaim = 0;
        foreach (var c in containers)
        {
            ct.ThrowIfCancellationRequested();
            var size = IO.DiskUsage.Of(Path.Combine(_ctx.Layers.Root, c.Id, "diff"));
            ctrSize += size;
            if (c.State is not (ContainerState.Running or ContainerState.Paused or ContainerState.Starting)) ctrReclaim += size;
        }
        var containerUsage = new StorageUsage
        {
            Type = "Containers",
            Total = containers.Count,
            Active = containers.Count(c => c.State is ContainerState.Running or ContainerState.Paused),
            Size = ctrSize,
            Reclaimable = ctrReclaim,
        };

        var volumes = volumeList();
        long volSize = 0, volReclaim = 0;
        foreach (var v in volumes)
        {
            ct.ThrowIfCancellationRequested();
            var size = IO.DiskUsage.Of(v.Mountpoint);
            volSize += size;
            if (v.UsedBy.Length == 0) volReclaim += size;
        }
        var volumeUsage = new StorageUsage
        {
            Type = "Volumes",
            Total = volumes.Count,
            Active = volumes.Count(v => v.UsedBy.Length > 0),
            Size = volSize,
            Reclaimable = volReclaim,
        };
        return new[] { imageUsage, containerUsage, volumeUsage };
    }
}
