using System.Formats.Tar;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>Extracts an OCI/Docker layer tar into a diff directory, converting OCI whiteouts to overlayfs ones
/// (containers/storage pkg/archive ConvertReadWithHandler) and refusing entries that would leave the root.</summary>
internal sealed class LayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";
    
    private readonly string _root;
    private readonly CancellationToken _ct;
    // Directory mtimes are set after all entries: creating a child changes its parent's mtime.
    private readonly List<(string Path, DateTimeOffset Time)> _directoryTimes = new();
    // Owners this process cannot give (an ordinary user's store) are handed to the user namespace after extraction, and directory modes
    // wait until the end (a 0555 directory would refuse its own children to a non-root writer).
    private readonly IUserNamespaceFiles _userns;
    // Keyed by path: a tar may name a path twice, and only the last entry's owner and mode apply.
    private readonly Dictionary<string, DeferredOwner> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _directoryModes = new(StringComparer.Ordinal);

    private LayerUnpacker(string root, CancellationToken ct, IUserNamespaceFiles userns)
    {
        _root = Path.GetFullPath(root).TrimEnd('/');
        _ct = ct;
        _userns = userns;
    }

    /// <summary>Bytes a layer may carry after its end-of-archive marker. Producers pad to their record size (GNU
    /// tar 10 KiB, at most a few hundred KiB with large blocking factors); a gzip of zeros that inflates to gigabytes
    /// after an empty tar is a decompression bomb, refused (LayerPaddingTooLarge) before it is read to its end.</summary>
    public const long MaxTrailingBytes = 1 << 20;

    /// <summary>Extracts <paramref name="layer"/> (plain, gzip or zstd tar) into <paramref name="root"/> and returns the
    /// DiffId (of every uncompressed byte, padding included, as producers hash it) and the size of the tar up to and
    /// including its end-of-archive marker (the producer's padding after it is not the layer's content).</summary>
    /// <param name="userns">How files get their owners; null = root's <see cref="DirectFiles"/>.</param>
    public static (string DiffId, long Size) Unpack(Stream layer, string root, CancellationToken ct, IUserNamespaceFiles? userns = null)
    {
        userns ??= DirectFiles.Instance;
        using var tar = new DigestingStream(Decompress(layer));
        var unpacker = new LayerUnpacker(root, ct, userns);
        long size = unpacker.Run(tar);
        // The tar end marker is followed by padding up to the producer's record size: hash it all, up to a bound.
        var buffer = new byte[81920];
        while (tar.Read(buffer) > 0)
        {
            ct.ThrowIfCancellationRequested();
            if (tar.BytesRead - size > MaxTrailingBytes)
                throw new PodShellException(ErrorIds.LayerPaddingTooLarge, FailureKind.InvalidArgument,
                    $"The layer tar ends after {size} bytes but its stream goes on past {size + MaxTrailingBytes} bytes; at most " +
                    $"{MaxTrailingBytes / 1024} KiB may follow the end of the archive (a decompression bomb or a damaged layer).", null);
        }
        userns.SetOwners(unpacker._owners.Values.ToList());
        return (tar.Digest(), size);
    }

    // gzip, zstd or plain; xz and bzip2 are refused with UnsupportedCompression.
    private static Stream Decompress(Stream layer) => LayerCompression.Decompress(layer);

    // Returns the bytes of the tar through its end-of-archive marker.
    private long Run(Stream tar)
    {
        // Our own reader: System.Formats.Tar decodes names as UTF-8 and loses bytes that are not (issue 15 item 6).
        var reader = new TarRecordReader(tar);
        while (true)
        {
            _ct.ThrowIfCancellationRequested();
            var entry = reader.Next();
            if (entry is null) break;
            try { Apply(entry); }
            catch (IOException e)
            {
                throw new PodShellException(ErrorIds.LayerExtractFailed, FailureKind.RuntimeFailed,
                    $"Extracting layer entry '{entry.Name}' failed: {e.Message}", entry.Name, e);
            }
        }
        foreach (var (path, mode) in _directoryModes)
            FileOwnership.Chmod(path, mode);
        foreach (var (path, time) in _directoryTimes)
        {
            if (FileStatus.TryLStat(path) is { IsDirectory: true })
                FileTimes.SetNoFollow(path, time, time);
        }
        return reader.Position;
    }

    private void Apply(TarRecord entry)
    {
                string[] parts = SplitName(entry.Name, entry.Name);
        if (parts.Length == 0)
        {
            // "./": the layer's root directory itself; only its metadata can be applied.
            if (entry.Type != TarEntryType.Directory) throw Invalid(entry.Name, "a non-directory entry names the root");
            ApplyMetadata(_root, entry);
            return;
        }

        string baseName = parts[^1];
        string parentInside = string.Join('/', parts[..^1]);

        if (baseName == OpaqueWhiteout)
        {
            string? dir = EnsureParent(parentInside, entry.Name, whiteout: true);
            if (dir is not null) Xattr.Set(dir, Overlay.OverlayXattr.OpaqueFor(_userns.UserXattrsOnly), "y"u8.ToArray());
            return;
        }
        if (baseName.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            string hidden = baseName[WhiteoutPrefix.Length..];
            if (hidden.Length == 0 || hidden == "." || hidden == "..") throw Invalid(entry.Name, "invalid whiteout name");
            string? dir = EnsureParent(parentInside, entry.Name, whiteout: true);
            if (dir is null) return;
            string target = dir + "/" + hidden;
            RemoveExisting(target);
            int errno = FileNodes.TryMknod(target, FileNodes.S_IFCHR, 0, 0);
            // A whiteout below a directory that is itself whited out: the parent is now a char device.
            if (errno == FileNodes.ENOTDIR) return;
            if (errno != 0) throw new IOException($"mknod whiteout {target}: {MountSyscalls.ErrorText(errno)}", errno);
            SetOwner(target, entry, isDirectory: false);
            return;
        }

        string parent = EnsureParent(parentInside, entry.Name, whiteout: false)!;
        string path = parent + "/" + baseName;
        var existing = FileStatus.TryLStat(path);

        switch (entry.Type)
        {
            case TarEntryType.Directory:
                if (existing is { IsDirectory: true }) break;
                if (existing is not null) RemoveExisting(path);
                RawFiles.Mkdir(path);
                break;

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                if (existing is not null) RemoveExisting(path);
                // CreateNew is O_CREAT|O_EXCL: it never follows a symlink at the final component.
                using (var file = RawFiles.CreateNew(path))
                {
                    if (entry.DataStream is { } data) CopyData(data, file);
                }
                break;

            case TarEntryType.SymbolicLink:
                CheckSymlinkTarget(parts, entry);
                if (existing is not null) RemoveExisting(path);
                RawFiles.Symlink(entry.LinkName, path);
                break;

            case TarEntryType.HardLink:
                string linkTarget = ResolveHardLinkTarget(entry);
                if (linkTarget == path) return;
                if (existing is not null) RemoveExisting(path);
                FileNodes.Link(linkTarget, path);
                // The inode already carries its metadata; reapplying would also retouch the target.
                return;

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice when !_userns.CreatesDeviceNodes:
                // Only real root may create device nodes; a rootless container gets /dev from the runtime (bind
                // mounts of the host's), as Podman's does.
                return;

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                if (existing is not null) RemoveExisting(path);
                int type = entry.Type switch
                {
                    TarEntryType.CharacterDevice => FileNodes.S_IFCHR,
                    TarEntryType.BlockDevice => FileNodes.S_IFBLK,
                    _ => FileNodes.S_IFIFO,
                };
                FileNodes.Mknod(path, type | (entry.Mode & 0xFFF), (uint)entry.DeviceMajor, (uint)entry.DeviceMinor);
                break;

            default:
                throw Invalid(entry.Name, $"unsupported tar entry type {entry.Type}");
        }
        ApplyMetadata(path, entry);
    }

    private void ApplyMetadata(string path, TarRecord entry)
    {
        bool symlink = entry.Type == TarEntryType.SymbolicLink;
        bool directory = entry.Type == TarEntryType.Directory;
        SetOwner(path, entry, directory);
        // chmod follows symlinks, and Linux ignores a symlink's own mode. After lchown, which clears setuid/setgid.
        if (!symlink && directory && _userns.DefersOwnership) _directoryModes[path] = entry.Mode;
        else if (!symlink) FileOwnership.Chmod(path, entry.Mode);
        ApplyXattrs(path, entry, _userns.UserXattrsOnly);
        if (entry.Type == TarEntryType.Directory)
            _directoryTimes.Add((path, entry.ModificationTime));
        else
            FileTimes.SetNoFollow(path, entry.ModificationTime, entry.ModificationTime);
    }

    private void SetOwner(string path, TarRecord entry, bool isDirectory)
    {
        if (!_userns.DefersOwnership)
        {
            FileOwnership.LChown(path, entry.Uid, entry.Gid);
            return;
        }
        // Root inside is the user outside: the file already has that owner.
        if (entry.Uid == 0 && entry.Gid == 0)
        {
            _owners.Remove(path);
            return;
        }
        bool setid = !isDirectory && entry.Type != TarEntryType.SymbolicLink && (entry.Mode & 0xC00) != 0;
        _owners[path] = new DeferredOwner(path, entry.Uid, entry.Gid, entry.Mode, setid);
    }

    private static void ApplyXattrs(string path, TarRecord entry, bool unprivileged)
    {
        foreach (var (name, value) in entry.Xattrs)
        {
            // overlayfs trusts trusted.overlay.* (opaque, redirect, origin, metacopy); only whiteout conversion may
            // set them, a layer must not smuggle its own.
            if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal)) continue;
            // A rootless (userxattr) mount trusts user.overlay.* the same way.
            if (unprivileged && name.StartsWith("user.overlay.", StringComparison.Ordinal)) continue;
            // The value's raw bytes (a binary security.capability too): TarRecordReader keeps them.
            int errno = Xattr.TrySet(path, name, value);
            // An ordinary user may set only user.* attributes; the others are dropped, as in a rootless Podman store.
            if (unprivileged && errno is 1 or 13) continue;
            if (errno != 0 && errno != Xattr.EOPNOTSUPP)
                throw new IOException($"lsetxattr({path}, {name}): {MountSyscalls.ErrorText(errno)}", errno);
        }
    }

    private void CopyData(Stream data, Stream file)
    {
        var buffer = new byte[81920];
        int n;
        while ((n = data.Read(buffer)) > 0)
        {
            _ct.ThrowIfCancellationRequested();
            file.Write(buffer, 0, n);
        }
    }

    /// <summary>The resolved parent directory, created (0755, root) when missing as containers/storage does.
    /// For whiteouts, null when a parent is not a directory (nested under an already whited-out dir).</summary>
    private string? EnsureParent(string parentInside, string entryName, bool whiteout)
    {
        string resolved = RootPath.Resolve(_root, parentInside);
        var status = FileStatus.TryLStat(resolved);
        if (status is { IsDirectory: true }) return resolved;
        if (status is not null)
        {
            if (whiteout) return null;
            throw Invalid(entryName, "its parent exists and is not a directory");
        }

        // Resolve follows every existing component, so what remains is a literal, missing tail.
        string current = _root;
        foreach (string part in resolved[_root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + part;
            var st = FileStatus.TryLStat(current);
            if (st is { IsDirectory: true }) continue;
            if (st is not null)
            {
                if (whiteout) return null;
                throw Invalid(entryName, "its parent exists and is not a directory");
            }
            RawFiles.Mkdir(current);
            FileOwnership.Chmod(current, 0x1ED); // 0755
        }
        return resolved;
    }

    private string ResolveHardLinkTarget(TarRecord entry)
    {
        string[] parts;
        try { parts = SplitName(entry.LinkName, entry.Name); }
        catch (PodShellException)
        {
            throw Invalid(entry.Name, $"hard link target '{entry.LinkName}' is outside the layer");
        }
        if (parts.Length == 0) throw Invalid(entry.Name, "hard link to the layer root");
        string dir = RootPath.Resolve(_root, string.Join('/', parts[..^1]));
        string target = dir + "/" + parts[^1];
        var st = FileStatus.TryLStat(target);
        if (st is null) throw Invalid(entry.Name, $"hard link target '{entry.LinkName}' does not exist");
        if (st.Value.IsDirectory) throw Invalid(entry.Name, $"hard link target '{entry.LinkName}' is a directory");
        return target;
    }

    /// <summary>containers/storage rejects a relative symlink whose target, taken from the link's directory,
    /// climbs above the root ("invalid symlink"). Absolute targets are fine: they are resolved in the container.</summary>
    private static void CheckSymlinkTarget(string[] linkParts, TarRecord entry)
    {
        string target = entry.LinkName;
        if (target.Length == 0) throw Invalid(entry.Name, "empty symlink target");
        if (target.StartsWith('/')) return;
        int depth = linkParts.Length - 1;
        foreach (string part in target.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (--depth < 0) throw Invalid(entry.Name, $"symlink target '{target}' points outside the layer");
            }
            else depth++;
        }
    }

    /// <summary>Removes whatever is at <paramref name="path"/> without following it: a symlink is unlinked,
    /// never its target.</summary>
    private void RemoveExisting(string path)
    {
        var st = FileStatus.TryLStat(path);
        if (st is null) return;
        RawFiles.RemoveTree(path); // never follows a symlink, and handles any byte in names
        ForgetDeferred(path); // nothing to forget when nothing is deferred
    }

    /// <summary>What was deferred for a path (and below it) that a later entry replaced must not reach
    /// the replacement (a chown through a hard link would reach its target) nor fail on a path that is gone.</summary>
    private void ForgetDeferred(string path)
    {
        string below = path + "/";
        foreach (var key in _owners.Keys.Where(k => k == path || k.StartsWith(below, StringComparison.Ordinal)).ToList())
            _owners.Remove(key);
        foreach (var key in _directoryModes.Keys.Where(k => k == path || k.StartsWith(below, StringComparison.Ordinal)).ToList())
            _directoryModes.Remove(key);
    }

    /// <summary>Lexically cleans a tar member name into components; absolute names and names that climb above the
    /// root are refused (containers/storage pkg/archive/diff.go breakout check).</summary>
    internal static string[] SplitName(string name, string entryName)
    {
        if (name.StartsWith('/')) throw Invalid(entryName, "absolute path");
        if (name.Contains('\0')) throw Invalid(entryName, "NUL in name");
        var parts = new List<string>();
        foreach (string part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) throw Invalid(entryName, "path escapes the layer root");
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return parts.ToArray();
    }

    private static PodShellException Invalid(string entryName, string why)
        => new(ErrorIds.InvalidLayerEntry, FailureKind.InvalidArgument, $"Invalid layer tar entry '{entryName}': {why}.", entryName);
}
