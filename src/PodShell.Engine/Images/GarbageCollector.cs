using System.Text.Json;

namespace PodShell.Engine.Images;

/// <summary>Drops what no image or container refers to any more: layers, blobs, and (through the sweeper) the
/// half-written leftovers of dead processes. It reads the container records only to keep the layers under them; it
/// calls the sweeper and no other service.</summary>
internal sealed class GarbageCollector
{
    private static readonly TimeSpan BlobGraceTime = TimeSpan.FromMinutes(10);

    private readonly EngineContext _ctx;
    private readonly StoreSweeper _sweeper;

    public GarbageCollector(EngineContext ctx, StoreSweeper sweeper)
    {
        _ctx = ctx;
        _sweeper = sweeper;
    }

    /// <summary>Drop layers no image or container refers to, blobs no image refers to (its config, its manifest and
    /// the blobs that manifest lists), and half-written layers of dead processes.</summary>
    public void Collect()
    {
        _sweeper.Sweep();
        var store = _ctx.Store;
        var unreferenced = store.UnreferencedLayers();
        var heldByContainers = LayersUnderContainers(unreferenced);
        foreach (var layer in unreferenced)
        {
            // A layer stays while any container layer lists it as a lower dir, even when its image is gone:
            // deleting it would pull the files from under the container (issue 15 item 2).
            if (heldByContainers.Contains(layer)) continue;
            // Marked first (no longer a whole layer, so never mounted again), then the row, then the directory: a
            // kill at any point leaves a marked directory that the next sweep finishes with its row (issue 15),
            // never a row whose directory is gone.
            try
            {
                if (_ctx.Layers.MarkRemoving(layer)) { store.DeleteLayer(layer); _ctx.Layers.Delete(layer); }
                else store.DeleteLayer(layer);
            }
            catch (PodShellException) { /* in use by a mount right now: the next collection gets it */ }
        }
        var blobs = _ctx.Blobs;
        var keep = new HashSet<string>();
        foreach (var image in store.ListImages())
        {
            keep.Add("sha256:" + image.Id);
            keep.Add(image.Digest);
            if (blobs.Has(image.Digest)) keep.UnionWith(ManifestBlobs(blobs.ReadAll(image.Digest)));
        }
        var dir = Path.Combine(blobs.Root, "sha256");
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var digest = "sha256:" + Path.GetFileName(f);
            // A young blob may belong to a pull or import in another process that has not registered
            // its image yet; leave it to a later collection.
            if (!keep.Contains(digest) && File.GetLastWriteTimeUtc(f) < DateTime.UtcNow - BlobGraceTime) blobs.Delete(digest);
        }
    }

    /// <summary>Those of <paramref name="candidates"/> that the layer of some container record names in its
    /// <c>lower</c> file (as l/ links).</summary>
    public HashSet<string> LayersUnderContainers(IReadOnlyList<string> candidates)
    {
        var root = _ctx.Layers.Root;
        var links = new HashSet<string>(StringComparer.Ordinal);
        var ids = _ctx.Store.ListContainers().Select(r => r.Container.LayerId is { Length: > 0 } l ? l : r.Container.Id);
        foreach (var id in ids)
        {
            var lower = Path.Combine(root, id, "lower");
            if (!File.Exists(lower)) continue;
            foreach (var entry in File.ReadAllText(lower).Trim().Split(':', StringSplitOptions.RemoveEmptyEntries))
                links.Add(Path.GetFileName(entry));
        }
        var held = new HashSet<string>(StringComparer.Ordinal);
        if (links.Count == 0) return held;
        foreach (var layer in candidates)
        {
            var link = Path.Combine(root, layer, "link");
            if (File.Exists(link) && links.Contains(File.ReadAllText(link).Trim())) held.Add(layer);
        }
        return held;
    }

    /// <summary>The config and layer digests an OCI or Docker v2 manifest lists (nothing for other JSON).</summary>
    public static IEnumerable<string> ManifestBlobs(byte[] manifest)
    {
        var list = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(manifest);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return list;
            if (root.TryGetProperty("config", out var cfg) && cfg.TryGetProperty("digest", out var cd) && cd.ValueKind == JsonValueKind.String)
                list.Add(cd.GetString()!);
            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                foreach (var l in layers.EnumerateArray())
                    if (l.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String) list.Add(d.GetString()!);
        }
        catch (JsonException) { }
        return list;
    }
}
