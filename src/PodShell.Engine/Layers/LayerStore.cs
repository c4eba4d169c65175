using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Layers;

/// <summary>A layer on disk. Size is the length of the uncompressed layer tar (containers/storage's diff-size),
/// 0 for a container layer, whose DiffId is "".</summary>
public sealed record LayerInfo(string Id, string DiffId, long Size, string DiffDir, string Link);

/// <summary>Content-addressed layer directories in containers/storage's overlay layout:
/// &lt;root&gt;/&lt;id&gt;/{diff,work,merged,link,lower} and &lt;root&gt;/l/&lt;link&gt; -> ../&lt;id&gt;/diff.
/// A layer is built in a staging directory marked incomplete (owner pid + start time) and renamed into place,
/// so a killed import never leaves a half layer that looks whole (containers/storage layers.go "incomplete").</summary>
public sealed class LayerStore
{
    private const string LinkDirName = "l";
    private const string StagingPrefix = ".incomplete-";
    private const string IncompleteMarker = "incomplete";
    private const string DiffDigestFile = "diff-digest";
    private const string DiffSizeFile = "diff-size";

    private readonly IUserNamespaceFiles _userns;

    /// <param name="overlayRoot">The store's directory (graph root/overlay).</param>
    /// <param name="userns">For an ordinary user's store: the user namespace its files' owners belong to;
    /// null = root's <see cref="DirectFiles"/>.</param>
    public LayerStore(string overlayRoot, IUserNamespaceFiles? userns = null)
    {
        _userns = userns ?? DirectFiles.Instance;
        ArgumentException.ThrowIfNullOrEmpty(overlayRoot);
        Root = Path.GetFullPath(overlayRoot).TrimEnd('/');
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(LinkDir);
    }

    public string Root { get; }

    private string LinkDir => Root + "/" + LinkDirName;

    /// <summary>Applies an image layer tar (plain or gzip). The id is the OCI chain id:
    /// sha256("sha256:&lt;parent id&gt; " + diffId) for a layer on a parent, the DiffId's hex for a base layer.
    /// An already complete layer with that id is returned as is.</summary>
    public LayerInfo ApplyTar(Stream layer, string? parentLayerId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var parent = parentLayerId is null ? null : Get(parentLayerId);
        string staging = CreateStaging();
        try
        {
            return Unpack(staging, layer, parent, ct);
        }
        catch
        {
            DeleteTree(staging);
            throw;
        }
    }

    /// <summary>Builds a layer from a directory tree by streaming it as a tar through the same path as ApplyTar,
    /// so the DiffId is that of a real tar.</summary>
    public LayerInfo ApplyDirectory(string directory, string? parentLayerId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var parent = parentLayerId is null ? null : Get(parentLayerId);
        string staging = CreateStaging();
        try
        {
            string tarPath = staging + "/layer.tar";
            using (var output = new FileStream(tarPath, FileMode.CreateNew, FileAccess.Write))
                LayerTarWriter.Write(directory, output, ct, _userns.InsideOwners);
            LayerInfo result;
            using (var input = new FileStream(tarPath, FileMode.Open, FileAccess.Read))
                result = Unpack(staging, input, parent, ct, tarPath);
            return result;
        }
        catch
        {
            DeleteTree(staging);
            throw;
        }
    }

    private LayerInfo Unpack(string staging, Stream layer, LayerInfo? parent, CancellationToken ct, string? scratchFile = null)
    {
        string diff = staging + "/diff";
        Directory.CreateDirectory(diff);
        FileOwnership.Chmod(diff, 0x1ED); // 0755
        (string diffId, long size) unpacked;
        try
        {
            unpacked = LayerUnpacker.Unpack(layer, diff, ct, _userns);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Damage can surface anywhere in the stream (found by the fuzz test: a corrupt gzip
            // header after the last tar entry), not only while entries are read.
            throw new PodShellException(ErrorIds.InvalidLayerTar, FailureKind.InvalidArgument, $"The layer is not a valid tar stream: {e.Message}", null, e);
        }
        var (diffId, size) = unpacked;
        if (scratchFile is not null) File.Delete(scratchFile);

        string diffHex = diffId["sha256:".Length..];
        string id = parent is null ? diffHex : LayerId.Chain(parent.Id, diffId);
        if (Exists(id))
        {
            DeleteTree(staging);
            return Get(id);
        }

        string link = LayerLinks.New(LinkDir);
        File.WriteAllText(staging + "/link", link);
        if (parent is null)
        {
            Directory.CreateDirectory(staging + "/empty");
        }
        else
        {
            string lower = LinkDirName + "/" + parent.Link;
            string parentLowerFile = Root + "/" + parent.Id + "/lower";
            if (File.Exists(parentLowerFile)) lower += ":" + File.ReadAllText(parentLowerFile).Trim();
            File.WriteAllText(staging + "/lower", lower);
            Directory.CreateDirectory(staging + "/work");
            Directory.CreateDirectory(staging + "/merged");
        }
        File.WriteAllText(staging + "/" + DiffDigestFile, diffId);
        File.WriteAllText(staging + "/" + DiffSizeFile, size.ToString(CultureInfo.InvariantCulture));
        ct.ThrowIfCancellationRequested();

        // False means another process completed the same layer first; either way Get(id) is the answer.
        Publish(staging, id, link);
        return Get(id);
    }

    /// <summary>A container's writable layer: diff (the upper dir), work, merged, link, and a lower file listing
    /// the given layers' l/ links uppermost first.</summary>
    public LayerInfo CreateContainerLayer(string id, IReadOnlyList<string> lowerLayerIdsTopFirst)
    {
        LayerId.Check(id);
        ArgumentNullException.ThrowIfNull(lowerLayerIdsTopFirst);
        if (FileStatus.TryLStat(Root + "/" + id) is not null)
            throw new PodShellException(ErrorIds.LayerExists, FailureKind.AlreadyExists, $"Layer '{id}' already exists.", id);
        var lowers = lowerLayerIdsTopFirst.Select(Get).ToList();

        string staging = CreateStaging();
        try
        {
            foreach (string sub in new[] { "diff", "work", "merged" })
            {
                Directory.CreateDirectory(staging + "/" + sub);
                FileOwnership.Chmod(staging + "/" + sub, 0x1ED);
            }
            string link = LayerLinks.New(LinkDir);
            File.WriteAllText(staging + "/link", link);
            if (lowers.Count > 0)
                File.WriteAllText(staging + "/lower", string.Join(':', lowers.Select(l => LinkDirName + "/" + l.Link)));
            else
                Directory.CreateDirectory(staging + "/empty");
            if (!Publish(staging, id, link))
                throw new PodShellException(ErrorIds.LayerExists, FailureKind.AlreadyExists, $"Layer '{id}' already exists.", id);
            return Get(id);
        }
        catch
        {
            DeleteTree(staging);
            throw;
        }
    }

    /// <summary>True when a complete layer (not one still being applied or left by a crash) exists.</summary>
    public bool Exists(string id)
    {
        if (!LayerId.IsValid(id)) return false;
        string dir = Root + "/" + id;
        return FileStatus.TryLStat(dir) is { IsDirectory: true }
            && FileStatus.TryLStat(dir + "/" + IncompleteMarker) is null
            && FileStatus.TryLStat(dir + "/diff") is { IsDirectory: true }
            && FileStatus.TryLStat(dir + "/link") is { IsRegularFile: true };
    }

    /// <summary>True when nothing at all is at &lt;root&gt;/&lt;id&gt; (false for an id that is not a layer id).</summary>
    public bool DirectoryMissing(string id) => LayerId.IsValid(id) && FileStatus.TryLStat(Root + "/" + id) is null;

    public LayerInfo Get(string id)
    {
        if (!Exists(id))
            throw new PodShellException(ErrorIds.LayerNotFound, FailureKind.NotFound, $"Layer '{id}' not found in '{Root}'.", id);
        string dir = Root + "/" + id;
        string link = LayerLinks.Read(dir) ?? "";
        string diffId = File.Exists(dir + "/" + DiffDigestFile) ? File.ReadAllText(dir + "/" + DiffDigestFile).Trim() : "";
        long size = File.Exists(dir + "/" + DiffSizeFile)
            && long.TryParse(File.ReadAllText(dir + "/" + DiffSizeFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return new LayerInfo(id, diffId, size, dir + "/diff", link);
    }

    /// <summary>&lt;root&gt;/l/&lt;link&gt;: the short path to pass as an overlay lowerdir.</summary>
    public string LinkPath(string id) => LinkDir + "/" + Get(id).Link;

    /// <summary>Removes l/&lt;link&gt; and &lt;root&gt;/&lt;id&gt;; a no-op when absent. Symlinks are unlinked, never
    /// followed. Refuses (LayerInUse) while anything is mounted inside the layer: unmounting is the caller's job,
    /// and deleting through a live mount would delete the container's files. The layer is marked incomplete (this
    /// process as owner) before anything is deleted and the marker goes last, so a removal killed at any point leaves
    /// a directory <c>RemoveIncomplete</c> finishes, never a half layer that looks whole.</summary>
    public void Delete(string id)
    {
        LayerId.Check(id);
        string dir = Root + "/" + id;
        var st = FileStatus.TryLStat(dir);
        if (st is null) return;
        if (!st.Value.IsDirectory)
        {
            File.Delete(dir);
            return;
        }
        MarkRemoving(id);
        RemoveLayerDir(dir);
    }

    /// <summary>The first step of removing a layer: marks it incomplete with this process as owner, so from now on
    /// <see cref="Exists"/> is false (it is never handed to a mount again) and, should this process die before
    /// <see cref="Delete"/> ends, the next <c>RemoveIncomplete</c> of any process finishes it. The caller
    /// drops the layer's database row after this and before <see cref="Delete"/>: a kill then leaves a marked
    /// directory (finished by the sweep, row and all), never a row without its directory. Returns false when there
    /// is no such directory. Refuses (LayerInUse) while anything is mounted inside it.</summary>
    public bool MarkRemoving(string id)
    {
        LayerId.Check(id);
        string dir = Root + "/" + id;
        if (FileStatus.TryLStat(dir) is not { IsDirectory: true }) return false;
        if (HasMountsUnder(dir))
            throw new PodShellException(ErrorIds.LayerInUse, FailureKind.ResourceBusy,
                $"Layer '{id}' has a mount inside it (unmount '{dir}/merged' first).", id);
        // The store's mtime first: a sweep that gates on it (ContainerEngine.SweepStoreIfChanged) must see that
        // something changed even though the marker is written one level down.
        TouchRoot();
        File.WriteAllText(dir + "/" + IncompleteMarker, StagingOwner.Line());
        return true;
    }

    /// <summary>Sets the store directory's mtime to now: the signal for <see cref="RootStamp"/> readers that a layer was marked.</summary>
    private void TouchRoot()
    {
        try { Directory.SetLastWriteTimeUtc(Root, DateTime.UtcNow); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The store directory's mtime: every staging mkdir, publish rename, layer removal and removal mark
    /// changes it, so an unchanged value means no dir appeared or was marked since it was read.</summary>
    public DateTime RootStamp() => Directory.GetLastWriteTimeUtc(Root);

    /// <summary>Removes staging directories and layers still marked incomplete whose owner process is gone (pid
    /// absent, a zombie, or reused: start time differs). Returns the names removed (layer ids, or staging dir names).
    /// A staging directory without a marker is only taken once it is older than <see cref="UnmarkedGrace"/>: its owner
    /// may be between creating it and writing the marker. <paramref name="beforeLayerRemoved"/> runs with a layer id
    /// before its directory goes (the engine drops its row there); <paramref name="pending"/> counts the directories
    /// left because their owner may still be working on them.</summary>
    public IReadOnlyList<string> RemoveIncomplete(Action<string>? beforeLayerRemoved, out int pending)
    {
        var removed = new List<string>();
        pending = 0;
        foreach (string dir in IncompleteDirectories())
        {
            string name = Path.GetFileName(dir);
            bool staging = name.StartsWith(StagingPrefix, StringComparison.Ordinal);
            string marker = dir + "/" + IncompleteMarker;
            if ((FileStatus.TryLStat(marker) is null && Directory.GetLastWriteTimeUtc(dir) > DateTime.UtcNow - UnmarkedGrace)
                || StagingOwner.IsAlive(marker) || HasMountsUnder(dir))
            {
                pending++;
                continue;
            }
            if (staging) RemoveMarkedTree(dir);
            else
            {
                beforeLayerRemoved?.Invoke(name);
                RemoveLayerDir(dir);
            }
            removed.Add(name);
        }
        return removed;
    }

    public IReadOnlyList<string> RemoveIncomplete() => RemoveIncomplete(null, out _);

    private static readonly TimeSpan UnmarkedGrace = TimeSpan.FromMinutes(1);

    /// <summary>The directories of layers not (yet) whole: staging directories, and layers renamed into place whose
    /// marker is still there. Whether their owner lives is not looked at.</summary>
    public IReadOnlyList<string> IncompleteDirectories()
    {
        var list = new List<string>();
        // Directory.EnumerateDirectories(path) includes dot entries on Unix (no attributes are skipped).
        foreach (var entry in new DirectoryInfo(Root).EnumerateDirectories())
        {
            string name = entry.Name;
            string dir = Root + "/" + name;
            bool staging = name.StartsWith(StagingPrefix, StringComparison.Ordinal);
            if (!staging && !(LayerId.IsValid(name) && FileStatus.TryLStat(dir + "/" + IncompleteMarker) is not null)) continue;
            if (FileStatus.TryLStat(dir) is not { IsDirectory: true }) continue;
            list.Add(dir);
        }
        return list;
    }

    private string CreateStaging()
    {
        string staging = Root + "/" + StagingPrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        Directory.CreateDirectory(staging);
        File.WriteAllText(staging + "/" + IncompleteMarker, StagingOwner.Line());
        return staging;
    }

    /// <summary>Renames the staging dir to &lt;root&gt;/&lt;id&gt;, creates l/&lt;link&gt;, then clears the marker.
    /// False when a complete layer with that id appeared meanwhile (the staging copy is then discarded).</summary>
    private bool Publish(string staging, string id, string link)
    {
        string final = Root + "/" + id;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Move(staging, final);
                break;
            }
            catch (IOException) when (FileStatus.TryLStat(final) is not null)
            {
                if (Exists(id))
                {
                    DeleteTree(staging);
                    return false;
                }
                if (attempt > 0 || StagingOwner.IsAlive(final + "/" + IncompleteMarker) || HasMountsUnder(final))
                    throw new PodShellException(ErrorIds.LayerBusy, FailureKind.ResourceBusy,
                        $"Layer '{id}' is being created by another process.", id);
                RemoveLayerDir(final);
            }
        }
        try
        {
            File.CreateSymbolicLink(LinkDir + "/" + link, "../" + id + "/diff");
            File.Delete(final + "/" + IncompleteMarker);
        }
        catch
        {
            RemoveLayerDir(final);
            throw;
        }
        return true;
    }

    private void RemoveLayerDir(string dir)
    {
        if (LayerLinks.Read(dir) is { } link && FileStatus.TryLStat(LinkDir + "/" + link) is { IsSymlink: true })
            File.Delete(LinkDir + "/" + link);
        RemoveMarkedTree(dir);
    }

    /// <summary>Deletes a layer or staging directory with its incomplete marker last, so a kill in the middle leaves
    /// a directory that is still marked (its owner now dead) for the next <c>RemoveIncomplete</c>, not an
    /// unmarked remnant that looks like a fresh staging dir or an orphan layer.</summary>
    private void RemoveMarkedTree(string dir)
    {
        if (FileStatus.TryLStat(dir) is not { IsDirectory: true }) return;
        foreach (string name in RawFiles.ReadDirectory(dir))
        {
            if (name == IncompleteMarker) continue;
            string child = dir + "/" + name;
            if (FileStatus.TryLStat(child) is { IsDirectory: true }) DeleteTree(child);
            else RawFiles.Unlink(child);
        }
        RawFiles.RemoveTree(dir); // now only the marker, which goes with the directory itself
    }

    private bool HasMountsUnder(string dir)
    {
        string prefix = dir + "/";
        // An ordinary user's store has its mounts in its user's mount namespace: this table never shows them.
        var tables = new[] { DirectFiles.Instance.MountInfoPath, _userns.MountInfoPath }.Distinct();
        return tables.SelectMany(MountInfo.Read).Any(m => m.MountPoint == dir || m.MountPoint.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>.NET's recursive delete unlinks symlinks instead of descending into them.</summary>
    private void DeleteTree(string dir)
    {
        if (FileStatus.TryLStat(dir) is not { IsDirectory: true }) return;
        _userns.RemoveTree(dir);
    }
}
