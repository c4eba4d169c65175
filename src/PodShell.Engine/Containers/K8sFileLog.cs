using System.Globalization;
using System.Text;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>Reads conmon's k8s-file log: "&lt;RFC3339Nano with offset&gt; &lt;stdout|stderr&gt; &lt;F|P&gt; &lt;bytes&gt;".
/// A P (partial) record has no newline of its own; it is joined with the following records of the same
/// stream up to the next F, as podman logs does.</summary>
public static class K8sFileLog
{
    /// <summary>The smallest log size limit accepted. conmon starts a new file whenever the next record
    /// would not fit, and one record of a full 8 KiB read buffer is about 8 KiB plus its header, so a
    /// smaller limit would replace the file on nearly every write. Podman refuses below 8 KiB too.</summary>
    public const long MinSizeMax = 8192;

    /// <summary>Refuse a log size limit conmon could not honour in a useful way; long.MaxValue means none.</summary>
    public static void CheckSizeMax(long bytes)
    {
        if (bytes != long.MaxValue && bytes < MinSizeMax)
            throw new PodShellException("InvalidLogSizeMax", FailureKind.InvalidArgument,
                $"-LogSizeMax must be at least {MinSizeMax} bytes (8KB) (got {bytes}).", bytes);
    }

    /// <summary>Every entry in the file now, including a partial line that has not been finished yet.</summary>
    public static IEnumerable<ContainerLogEntry> Read(string path)
    {
        using var follower = new K8sFileLogFollower(path);
        return follower.ReadAvailable().Concat(follower.Flush()).ToList();
    }

    public static IEnumerable<ContainerLogEntry> Parse(TextReader reader)
    {
        var joiner = new K8sRecordJoiner();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (joiner.Add(Encoding.UTF8.GetBytes(line)) is { } e) yield return e;
        }
        foreach (var e in joiner.Flush()) yield return e;
    }
}

/// <summary>Turns k8s-file records into entries. The text of P records is kept as bytes until the F
/// record: conmon splits at its read buffer, which can fall inside a multi-byte UTF-8 character.</summary>
public sealed class K8sRecordJoiner
{
    private readonly Dictionary<string, (DateTime Time, MemoryStream Bytes)> _partial = new();

    /// <summary>One record without its newline; returns the finished entry, or null for a P record
    /// or a line that is not a record.</summary>
    public ContainerLogEntry? Add(ReadOnlySpan<byte> record)
    {
        int s1 = record.IndexOf((byte)' ');
        if (s1 <= 0) return null;
        int s2 = record[(s1 + 1)..].IndexOf((byte)' ');
        if (s2 <= 0) return null;
        s2 += s1 + 1;
        var rest = record[(s2 + 1)..];
        int s3 = rest.IndexOf((byte)' ');
        var tag = s3 < 0 ? rest : rest[..s3];
        var text = s3 < 0 ? ReadOnlySpan<byte>.Empty : rest[(s3 + 1)..];
        if (tag.Length != 1 || (tag[0] != (byte)'P' && tag[0] != (byte)'F')) return null;
        if (!DateTime.TryParse(Encoding.ASCII.GetString(record[..s1]), CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
            return null;
        var stream = Encoding.ASCII.GetString(record[(s1 + 1)..s2]);

        if (tag[0] == (byte)'P')
        {
            if (!_partial.TryGetValue(stream, out var p)) _partial[stream] = p = (time, new MemoryStream());
            p.Bytes.Write(text);
            return null;
        }
        if (_partial.Remove(stream, out var prev))
        {
            prev.Bytes.Write(text);
            return Entry(prev.Time, stream, prev.Bytes);
        }
        return new ContainerLogEntry { Time = time, Stream = stream, Line = Encoding.UTF8.GetString(text) };
    }

    /// <summary>The partial lines not finished yet, oldest first; the joiner forgets them.</summary>
    public List<ContainerLogEntry> Flush()
    {
        var list = _partial.Select(kv => Entry(kv.Value.Time, kv.Key, kv.Value.Bytes)).OrderBy(e => e.Time).ToList();
        _partial.Clear();
        return list;
    }

    private static ContainerLogEntry Entry(DateTime time, string stream, MemoryStream bytes) =>
        new() { Time = time, Stream = stream, Line = Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length) };
}

/// <summary>Reads a k8s-file log as conmon appends to it. With a size limit conmon does not truncate: it
/// writes a new file and renames it over the old one (ctr_logging.c reopen_k8s_file), after flushing
/// the old one. So when the path names another inode, the open file is complete: it is read to its end
/// and reading goes on from the start of the new file. A file that shrinks in place (copytruncate, or
/// a user emptying it) is read again from its start.</summary>
public sealed class K8sFileLogFollower : IDisposable
{
    private readonly string _path;
    private readonly K8sRecordJoiner _joiner = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private FileStream? _file;
    private (ulong Inode, uint Major, uint Minor) _identity;
    private byte[] _pending = Array.Empty<byte>();
    private int _pendingLength;

    public K8sFileLogFollower(string path) => _path = path;

    /// <summary>How many times reading went on in a new file (replaced or truncated).</summary>
    public int Reopens { get; private set; }

    /// <summary>The entries completed since the last call. A record whose newline has not been written
    /// yet, and a line still in P records, wait for the next call (or Flush).</summary>
    public List<ContainerLogEntry> ReadAvailable()
    {
        var entries = new List<ContainerLogEntry>();
        if (_file is null && !Open()) return entries;
        // Bounded: a writer that replaces the file faster than it can be read must not hold us here.
        for (int round = 0; round < 16; round++)
        {
            var now = Identity(FileStatus.TryLStat(_path));
            bool replaced = now != _identity;
            if (!replaced && _file!.Length < _file.Position)
            {
                _file.Position = 0;
                _pendingLength = 0;
                Reopens++;
            }
            Drain(entries);
            if (!replaced) break;
            // A record left without its newline in a replaced file will never be finished.
            _pendingLength = 0;
            _file!.Dispose();
            _file = null;
            Reopens++;
            if (!Open()) break;
        }
        return entries;
    }

    /// <summary>What is left when no more is coming (the container exited, or a one-time read): an
    /// unterminated record and the unfinished partial lines.</summary>
    public List<ContainerLogEntry> Flush()
    {
        var entries = new List<ContainerLogEntry>();
        if (_pendingLength > 0 && _joiner.Add(_pending.AsSpan(0, _pendingLength)) is { } e) entries.Add(e);
        _pendingLength = 0;
        entries.AddRange(_joiner.Flush());
        return entries;
    }

    private bool Open()
    {
        // lstat before and after the open: if both name the same inode, that is the file we opened
        // (fstat would say it directly, but this needs no descriptor plumbing).
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var before = FileStatus.TryLStat(_path);
            if (before is null) return false;
            FileStream f;
            try
            {
                f = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            }
            catch (FileNotFoundException) { return false; }
            catch (DirectoryNotFoundException) { return false; }
            var after = Identity(FileStatus.TryLStat(_path));
            if (after == Identity(before))
            {
                _file = f;
                _identity = after;
                return true;
            }
            f.Dispose();
        }
        return false;
    }

    private void Drain(List<ContainerLogEntry> entries)
    {
        int n;
        while ((n = _file!.Read(_buffer, 0, _buffer.Length)) > 0)
        {
            var chunk = _buffer.AsSpan(0, n);
            int nl;
            while ((nl = chunk.IndexOf((byte)'\n')) >= 0)
            {
                ContainerLogEntry? e;
                if (_pendingLength > 0)
                {
                    Append(chunk[..nl]);
                    e = _joiner.Add(_pending.AsSpan(0, _pendingLength));
                    _pendingLength = 0;
                }
                else
                {
                    e = _joiner.Add(chunk[..nl]);
                }
                if (e != null) entries.Add(e);
                chunk = chunk[(nl + 1)..];
            }
            Append(chunk);
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (_pendingLength + bytes.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + bytes.Length));
        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private static (ulong, uint, uint) Identity(FileStatusInfo? st) =>
        st is { } s ? (s.Inode, s.DevMajor, s.DevMinor) : (0UL, 0u, 0u);

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}
