using System.Text.Json;
using PodShell.Engine.Images;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>Add a name to an image (podman tag). The name moves if another image had it.</summary>
    public ContainerImage TagImage(string nameOrId, string newName)
    {
        var image = ResolveImage(nameOrId);
        var name = ImageReference.Normalize(newName);
        if (!ImageReference.IsValid(name))
            throw new PodShellException("InvalidImageName", FailureKind.InvalidArgument,
                $"'{newName}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", newName);
        Store.AddImageName(name, image.Id);
        return ResolveImage(image.Id);
    }

    /// <summary>podman rmi: a name of an image with several names is only untagged; the last name, or an
    /// id, removes the image and then the layers and blobs nothing else uses. An image in use is refused
    /// unless force (then its containers are removed too); an id with several names needs force.
    /// Returns the image as it was, and whether it was removed (false: only untagged).</summary>
    public (ContainerImage Image, bool Removed) RemoveImage(string nameOrId, bool force, CancellationToken ct = default)
    {
        var (image, matchedName) = ResolveImageName(nameOrId);
        if (matchedName != null && image.Names.Length > 1)
        {
            Store.RemoveImageName(matchedName);
            return (image, false);
        }
        if (matchedName == null && image.Names.Length > 1 && !force)
            throw new PodShellException("ImageHasMultipleNames", FailureKind.InvalidState,
                $"Image {image.Id[..12]} has {image.Names.Length} names ({string.Join(", ", image.Names)}). Remove them one by one, or use -Force.", image);
        RemoveImageCompletely(image, force, ct);
        return (image, true);
    }

    private void RemoveImageCompletely(ContainerImage image, bool force, CancellationToken ct)
    {
        // The users are taken and the image deleted in one transaction, so a New-Container racing this either
        // finds no image (ImageNotFound) or is one of the users removed here (issue 15 item 2). A user still being
        // created holds its container lock, so RemoveContainer waits for the create to finish.
        var users = Store.DeleteImageTakingUsers(image.Id, force);
        if (users.Count > 0 && !force)
            throw new PodShellException("ImageInUse", FailureKind.InvalidState,
                $"Image '{image.Name}' is used by {users.Count} container(s) ({string.Join(", ", users.Select(u => u.Container.Name))}). Remove them first, or use -Force to remove them too.", image);
        foreach (var r in users)
        {
            try { RemoveContainer(r.Container.Id, force: true, ct); }
            catch (PodShellException e) when (e.ErrorId == "ContainerNotFound") { /* its create failed, or another process removed it */ }
        }
        CollectGarbage();
    }

    /// <summary>podman image prune: images no container uses and that have no name (all: any image no
    /// container uses). Returns the images removed.</summary>
    public IReadOnlyList<ContainerImage> PruneImages(bool all, Func<ContainerImage, bool>? confirm = null, CancellationToken ct = default)
    {
        var used = Store.ListContainers().Select(r => r.Container.ImageId).ToHashSet();
        var removed = new List<ContainerImage>();
        foreach (var image in GetImages().Where(i => !used.Contains(i.Id) && (all || i.Names.Length == 0)))
        {
            ct.ThrowIfCancellationRequested();
            if (confirm != null && !confirm(image)) continue;
            // Checked again in the transaction that deletes it: a container created since the list was read keeps
            // its image (the same exclusion as RemoveImage's).
            if (Store.DeleteImageTakingUsers(image.Id, force: false).Count > 0) continue;
            removed.Add(image);
        }
        if (removed.Count > 0) CollectGarbage();
        else SweepIncompleteLayers();
        return removed;
    }

    /// <summary>Remove the half-written layers (<c>.incomplete-*</c>) and blob temp files of processes that died while
    /// writing them (see <see cref="SweepStoreIfChanged"/>).</summary>
    private void SweepIncompleteLayers() => SweepStoreIfChanged();

    private static readonly TimeSpan BlobGraceTime = TimeSpan.FromMinutes(10);

    /// <summary>Drop layers no image or container refers to, blobs no image refers to (its config, its manifest and
    /// the blobs that manifest lists), and half-written layers of dead processes.</summary>
    public void CollectGarbage()
    {
        SweepStore();
        var unreferenced = Store.UnreferencedLayers();
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
                if (Layers.MarkRemoving(layer)) { Store.DeleteLayer(layer); Layers.Delete(layer); }
                else Store.DeleteLayer(layer);
            }
            catch (PodShellException) { /* in use by a mount right now: the next collection gets it */ }
        }
        var keep = new HashSet<string>();
        foreach (var image in GetImages())
        {
            keep.Add("sha256:" + image.Id);
            keep.Add(image.Digest);
            if (Blobs.Has(image.Digest)) keep.UnionWith(ManifestBlobs(Blobs.ReadAll(image.Digest)));
        }
        var dir = Path.Combine(Blobs.Root, "sha256");
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var digest = "sha256:" + Path.GetFileName(f);
            // A young blob may belong to a pull or import in another process that has not registered
            // its image yet; leave it to a later collection.
            if (!keep.Contains(digest) && File.GetLastWriteTimeUtc(f) < DateTime.UtcNow - BlobGraceTime) Blobs.Delete(digest);
        }
    }

    /// <summary>Those of <paramref name="candidates"/> that the layer of some container record names in its
    /// <c>lower</c> file (as l/ links).</summary>
    private HashSet<string> LayersUnderContainers(IReadOnlyList<string> candidates)
    {
        var links = new HashSet<string>(StringComparer.Ordinal);
        var ids = Store.ListContainers().Select(r => r.Container.LayerId is { Length: > 0 } l ? l : r.Container.Id);
        foreach (var id in ids)
        {
            var lower = Path.Combine(Layers.Root, id, "lower");
            if (!File.Exists(lower)) continue;
            foreach (var entry in File.ReadAllText(lower).Trim().Split(':', StringSplitOptions.RemoveEmptyEntries))
                links.Add(Path.GetFileName(entry));
        }
        var held = new HashSet<string>(StringComparer.Ordinal);
        if (links.Count == 0) return held;
        foreach (var layer in candidates)
        {
            var link = Path.Combine(Layers.Root, layer, "link");
            if (File.Exists(link) && links.Contains(File.ReadAllText(link).Trim())) held.Add(layer);
        }
        return held;
    }

    /// <summary>The config and layer digests an OCI or Docker v2 manifest lists (nothing for other JSON).</summary>
    internal static IEnumerable<string> ManifestBlobs(byte[] manifest)
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
