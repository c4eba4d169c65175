using System.Formats.Tar;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Images.Archive;

/// <summary>Read access to the files of an image archive, a directory or a tar, by archive-relative path.
/// Paths come from untrusted JSON (docker-archive manifest.json) and are cleaned lexically first: one that
/// climbs above the root is refused (InvalidArchive) rather than clamped, since no honest archive has one.</summary>
public abstract class ArchiveSource : IDisposable
{
    /// <summary>Manifests, configs and index.json are read into memory: refuse absurd sizes rather than
    /// let a hostile archive exhaust it (containers/image caps manifests at 4 MiB too).</summary>
    public const int MaxJsonBytes = 4 << 20;

    public abstract bool Exists(string path);

    /// <summary>The member's size in bytes.</summary>
    public abstract long Length(string path);

    /// <summary>The file's content; FileNotFound-like failures become InvalidArchive ("missing").</summary>
    public abstract Stream Open(string path);

    public byte[] ReadJson(string path)
    {
        using var s = Open(path);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = s.Read(chunk)) > 0)
        {
            if (buffer.Length + n > MaxJsonBytes)
                throw Invalid($"'{path}' is larger than {MaxJsonBytes} bytes", path);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    public virtual void Dispose() { }

    /// <summary>Opens a directory as is, or a tar file (plain, gzip or zstd; a compressed one is first
    /// decompressed into <paramref name="scratchDir"/> so its members can be read in any order).</summary>
    public static ArchiveSource Open(string path, string scratchDir, CancellationToken ct = default)
    {
        if (Directory.Exists(path)) return new DirectoryArchiveSource(path);
        if (File.Exists(path)) return TarArchiveSource.OpenFile(path, scratchDir, ct);
        throw new PodShellException(ErrorIds.ImportSourceNotFound, FailureKind.NotFound, $"No file or directory at '{path}'.", path);
    }

    /// <summary>Lexically cleaned, '/'-separated, relative; null when it climbs above the root.</summary>
    internal static string? Clean(string path)
    {
        if (path.Contains('\0')) return null;
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    internal static string CleanOrThrow(string path)
    {
        var clean = path.StartsWith('/') ? null : Clean(path);
        if (string.IsNullOrEmpty(clean)) throw Invalid($"the path '{path}' is absolute, empty or leaves the archive", path);
        return clean;
    }

    internal static PodShellException Invalid(string why, object? target, Exception? inner = null)
        => new(ErrorIds.InvalidArchive, FailureKind.InvalidArgument, $"The image archive is not valid: {why}.", target, inner);
}

/// <summary>An unpacked archive: an OCI layout directory. Symlinks inside it are followed with chroot
/// semantics (RootPath), so none can reach a file outside the directory.</summary>
internal sealed class DirectoryArchiveSource : ArchiveSource
{
    private readonly string _root;

    public DirectoryArchiveSource(string root) => _root = Path.GetFullPath(root).TrimEnd('/');

    private string? Resolve(string path)
    {
        var clean = CleanOrThrow(path);
        var full = RootPath.Resolve(_root, clean);
        return FileStatus.TryLStat(full) is { IsRegularFile: true } ? full : null;
    }

    public override bool Exists(string path) => Resolve(path) != null;

    public override long Length(string path) => new FileInfo(Resolve(path) ?? throw Invalid($"'{path}' is missing", path)).Length;

    public override Stream Open(string path)
    {
        var full = Resolve(path) ?? throw Invalid($"'{path}' is missing", path);
        return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }
}

/// <summary>A tar archive indexed once by member name; members are read later through the seekable
/// file, in any order. Links (podman's legacy &lt;v1id&gt;/layer.tar -> ../&lt;diffid&gt;.tar) are resolved inside
/// the archive only.</summary>
internal sealed class TarArchiveSource : ArchiveSource
{
    private readonly FileStream _file;
    private readonly string? _scratch;
    private readonly Dictionary<string, TarEntry> _files = new(StringComparer.Ordinal);
    private TarReader? _reader;
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private TarArchiveSource(FileStream file, string? scratch)
    {
        _file = file;
        _scratch = scratch;
    }

    public IEnumerable<string> Names => _files.Keys.Concat(_links.Keys);

    public static TarArchiveSource OpenFile(string path, string scratchDir, CancellationToken ct)
    {
        string? scratch = null;
        FileStream? file = null;
        try
        {
            var kind = SniffFile(path);
            if (kind == LayerCompressionKind.None)
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            else
            {
                Directory.CreateDirectory(scratchDir);
                // "<pid>-..." so BlobStore.RemoveStaleTemp reclaims it if this process dies.
                scratch = Path.Combine(scratchDir, $"{Environment.ProcessId}-archive-{Guid.NewGuid():N}");
                using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                using (var plain = LayerCompression.Decompress(input))
                using (var output = new FileStream(scratch, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
                {
                    try { plain.CopyTo(output); }
                    catch (InvalidDataException e) { throw Invalid($"the {kind.ToString().ToLowerInvariant()} stream is corrupt or truncated ({e.Message})", path, e); }
                }
                file = new FileStream(scratch, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            var source = new TarArchiveSource(file, scratch);
            source.Index(ct);
            return source;
        }
        catch
        {
            file?.Dispose();
            if (scratch != null) File.Delete(scratch);
            throw;
        }
    }

    internal static LayerCompressionKind SniffFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LayerCompression.Sniff(fs).Kind;
    }

    private void Index(CancellationToken ct)
    {
        _file.Position = 0;
        // Kept open: on a seekable archive each entry's DataStream is a window on the file that stays
        // readable (it seeks to its own offset) until the reader is disposed.
        var reader = _reader = new TarReader(_file, leaveOpen: true);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            TarEntry? entry;
            try { entry = reader.GetNextEntry(copyData: false); }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw Invalid($"it is not a whole tar file ({e.Message})", _file.Name, e);
            }
            if (entry is null) break;
            if (entry.EntryType is TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes) continue;
            var name = entry.Name.StartsWith('/') ? null : Clean(entry.Name);
            if (name is null) throw Invalid($"the member '{entry.Name}' is absolute or leaves the archive", entry.Name);
            if (name.Length == 0) continue;
            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    _files[name] = entry;
                    _links.Remove(name);
                    break;
                case TarEntryType.SymbolicLink:
                    var dir = name.Contains('/') ? name[..name.LastIndexOf('/')] + "/" : "";
                    _links[name] = entry.LinkName.StartsWith('/') ? entry.LinkName : dir + entry.LinkName;
                    _files.Remove(name);
                    break;
                case TarEntryType.HardLink:
                    _links[name] = entry.LinkName;
                    _files.Remove(name);
                    break;
            }
        }
    }

    private TarEntry? Find(string path)
    {
        var name = Clean(path);
        for (int hops = 0; name != null && hops < 32; hops++)
        {
            if (_files.TryGetValue(name, out var f)) return f;
            if (!_links.TryGetValue(name, out var target)) return null;
            name = target.StartsWith('/') ? null : Clean(target);
        }
        return null;
    }

    public override bool Exists(string path) => Find(CleanOrThrow(path)) != null;

    public override long Length(string path) => (Find(CleanOrThrow(path)) ?? throw Invalid($"'{path}' is missing", path)).Length;

    private readonly object _gate = new();

    public override Stream Open(string path)
    {
        var f = Find(CleanOrThrow(path)) ?? throw Invalid($"'{path}' is missing", path);
        if (f.DataStream is not { } data) return new MemoryStream(Array.Empty<byte>(), writable: false);
        lock (_gate) data.Position = 0;
        return new WindowStream(new SharedWindow(data, _gate), f.Length);
    }

    public override void Dispose()
    {
        _reader?.Dispose();
        _file.Dispose();
        if (_scratch != null) try { File.Delete(_scratch); } catch (IOException) { }
    }
}

/// <summary>Reads a tar member's window without disposing it (the reader owns it), one reader at a time.</summary>
internal sealed class SharedWindow : IO.ReadOnlyStream
{
    private readonly Stream _window;
    private readonly object _gate;
    private long _pos;

    public SharedWindow(Stream window, object gate) { _window = window; _gate = gate; }

    public override int Read(Span<byte> buffer)
    {
        lock (_gate)
        {
            _window.Position = _pos;
            int n = _window.Read(buffer);
            _pos += n;
            return n;
        }
    }

    public override long Position { get => _pos; set => throw new NotSupportedException(); }
}

/// <summary>A read-only window of <c>length</c> bytes from the current position of a stream it owns.</summary>
internal sealed class WindowStream : IO.ReadOnlyStream
{
    private readonly Stream _inner;
    private long _remaining;

    public WindowStream(Stream inner, long length) { _inner = inner; _remaining = length; }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0) return 0;
        if (buffer.Length > _remaining) buffer = buffer[..(int)_remaining];
        int n = _inner.Read(buffer);
        if (n == 0) throw new EndOfStreamException("the archive member is truncated");
        _remaining -= n;
        return n;
    }

    protected override void Dispose(bool disposing) { if (disposing) _inner.Dispose(); base.Dispose(disposing); }
}
