namespace PodShell.Engine.Images;

/// <summary>The local images by name and id: list, resolve (name, :latest and localhost/ spellings, id, id prefix),
/// tag, remove and prune. Removal collects garbage through <see cref="GarbageCollector"/>. The containers that use an
/// image are not this service's: a forced removal hands each to <c>removeUser</c>, which the engine wires to the
/// containers' removal, so this service never calls up into them.</summary>
internal sealed class ImageService
{
    private readonly EngineContext _ctx;
    private readonly StoreSweeper _sweeper;
    private readonly GarbageCollector _gc;
    private readonly Action<string, CancellationToken> _removeUser;

    // removeUser removes a container (by id, forced) that used an image being force-removed; a ContainerNotFound
    // from it is ignored (its create failed, or another process removed it).
    public ImageService(EngineContext ctx, StoreSweeper sweeper, GarbageCollector gc, Action<string, CancellationToken> removeUser)
    {
        _ctx = ctx;
        _sweeper = sweeper;
        _gc = gc;
        _removeUser = removeUser;
    }

    public IReadOnlyList<ContainerImage> List() => _ctx.Store.ListImages();

    /// <summary>By name (with the :latest and localhost/ spellings), full id, or unique id prefix.</summary>
    public ContainerImage Resolve(string nameOrId) => ResolveName(nameOrId).Image;

    /// <summary>The image and, when it was found by one of its names, that name.</summary>
    public (ContainerImage Image, string? Name) ResolveName(string nameOrId)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.ImageResolve);
        var images = List();
        foreach (var cand in ImageReference.Candidates(nameOrId))
        {
            var hit = images.FirstOrDefault(i => i.Names.Contains(cand, StringComparer.Ordinal));
            if (hit != null) return (hit, cand);
        }
        var id = nameOrId.StartsWith("sha256:") ? nameOrId[7..] : nameOrId;
        if (id.Length >= 3 && id.All(Uri.IsHexDigit))
        {
            var hits = images.Where(i => i.Id.StartsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
            if (hits.Count == 1) return (hits[0], null);
        }
        throw new PodShellException(ErrorIds.ImageNotFound, FailureKind.NotFound,
            $"No image named '{nameOrId}' in the local store. Pull it with Request-ContainerImage (or Import-ContainerImage a file), or list them with Get-ContainerImage.", nameOrId);
    }

    /// <summary>Add a name to an image (podman tag). The name moves if another image had it.</summary>
    public ContainerImage Tag(string nameOrId, string newName)
    {
        var image = Resolve(nameOrId);
        var name = ImageReference.Normalize(newName);
        if (!ImageReference.IsValid(name))
            throw new PodShellException(ErrorIds.InvalidImageName, FailureKind.InvalidArgument,
                $"'{newName}' is not a valid image name: use lower-case letters, digits and . _ / - with an optional :tag.", newName);
        _ctx.Store.AddImageName(name, image.Id);
        return Resolve(image.Id);
    }

    /// <summary>podman rmi: a name of an image with several names is only untagged; the last name, or an
    /// id, removes the image and then the layers and blobs nothing else uses. An image in use is refused
    /// unless force (then its containers are removed too); an id with several names needs force.
    /// Returns the image as it was, and whether it was removed (false: only untagged).</summary>
    public (ContainerImage Image, bool Removed) Remove(string nameOrId, bool force, CancellationToken ct)
    {
        var (image, matchedName) = ResolveName(nameOrId);
        if (matchedName != null && image.Names.Length > 1)
        {
            _ctx.Store.RemoveImageName(matchedName);
            return (image, false);
        }
        if (matchedName == null && image.Names.Length > 1 && !force)
            throw new PodShellException(ErrorIds.ImageHasMultipleNames, FailureKind.InvalidState,
                $"Image {image.Id[..12]} has {image.Names.Length} names ({string.Join(", ", image.Names)}). Remove them one by one, or use -Force.", image);
        RemoveCompletely(image, force, ct);
        return (image, true);
    }

    /// <summary>The image row whatever its names, then (force) its containers, then what nothing uses any more.</summary>
    public void RemoveCompletely(ContainerImage image, bool force, CancellationToken ct)
    {
        // The users are taken and the image deleted in one transaction, so a New-Container racing this either
        // finds no image (ImageNotFound) or is one of the users removed here (issue 15 item 2). A user still being
        // created holds its container lock, so the container removal waits for the create to finish.
        var users = _ctx.Store.DeleteImageTakingUsers(image.Id, force);
        if (users.Count > 0 && !force)
            throw new PodShellException(ErrorIds.ImageInUse, FailureKind.InvalidState,
                $"Image '{image.Name}' is used by {users.Count} container(s) ({string.Join(", ", users.Select(u => u.Container.Name))}). Remove them first, or use -Force to remove them too.", image);
        foreach (var r in users)
        {
            try { _removeUser(r.Container.Id, ct); }
            catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNotFound) { /* its create failed, or another process removed it */ }
        }
        _gc.Collect();
    }

    /// <summary>podman image prune: images no container uses and that have no name (all: any image no
    /// container uses). Returns the images removed.</summary>
    public IReadOnlyList<ContainerImage> Prune(bool all, Func<ContainerImage, bool>? confirm, CancellationToken ct)
    {
        var used = _ctx.Store.ListContainers().Select(r => r.Container.ImageId).ToHashSet();
        var removed = new List<ContainerImage>();
        foreach (var image in List().Where(i => !used.Contains(i.Id) && (all || i.Names.Length == 0)))
        {
            ct.ThrowIfCancellationRequested();
            if (confirm != null && !confirm(image)) continue;
            // Checked again in the transaction that deletes it: a container created since the list was read keeps
            // its image (the same exclusion as Remove's).
            if (_ctx.Store.DeleteImageTakingUsers(image.Id, force: false).Count > 0) continue;
            removed.Add(image);
        }
        if (removed.Count > 0) _gc.Collect();
        else _sweeper.SweepIfChanged();
        return removed;
    }
}
