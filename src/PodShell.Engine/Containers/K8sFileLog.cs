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

    /// <summary>The limit a container gets when it asks for none: 10 MiB, the kubelet's
    /// containerLogMaxSize default. Podman's default is unlimited, which lets one runaway writer fill
    /// the disk; with rotation (one kept file) a container's log takes at most twice this.</summary>
    public const long DefaultSizeMax = 10L * 1024 * 1024;

    /// <summary>What a caller passes for "no limit", as podman's log_size_max = -1.</summary>
    public const long Unlimited = -1;

    /// <summary>The limit to record for what the caller asked: null gets the default, -1 (or
    /// long.MaxValue) none, anything else must be at least <see cref="MinSizeMax"/>.</summary>
    public static long ResolveSizeMax(long? requested)
    {
        if (requested is null) return DefaultSizeMax;
        if (requested == Unlimited || requested == long.MaxValue) return long.MaxValue;
        CheckSizeMax(requested.Value);
        return requested.Value;
    }

    /// <summary>Refuse a log size limit conmon could not honour in a useful way; long.MaxValue means none.</summary>
    public static void CheckSizeMax(long bytes)
    {
        if (bytes != long.MaxValue && bytes < MinSizeMax)
            throw new PodShellException(ErrorIds.InvalidLogSizeMax, FailureKind.InvalidArgument,
                $"-LogMaxSize must be at least {MinSizeMax} bytes (8KB), or -1 for no limit (got {bytes}).", bytes);
    }

    /// <summary>Every entry in the rotated file and the current one, oldest first, including a partial
    /// line that has not been finished yet. Streams: one entry at a time, never the whole file.</summary>
    public static IEnumerable<ContainerLogEntry> Read(string path)
    {
        var joiner = new K8sRecordJoiner();
        foreach (var e in ReadRotated(path, joiner)) yield return e;
        using var follower = new K8sFileLogFollower(path, joiner);
        List<ContainerLogEntry> batch;
        while ((batch = follower.ReadAvailable(K8sFileLogFollower.BatchSize)).Count > 0)
            foreach (var e in batch) yield return e;
        foreach (var e in follower.Flush()) yield return e;
    }

    /// <summary>The complete records of the rotated file (<see cref="LogRotation.RotatedPath"/>) through
    /// <paramref name="joiner"/>, so a line it leaves partial is finished by the current file. Nothing
    /// when it is missing or is the current file under a second name.</summary>
    internal static IEnumerable<ContainerLogEntry> ReadRotated(string path, K8sRecordJoiner joiner)
    {
        var rotated = LogRotation.RotatedPath(path);
        if (!LogRotation.IsSeparateGeneration(path)) yield break;
        using var follower = new K8sFileLogFollower(rotated, joiner, followReplacement: false);
        List<ContainerLogEntry> batch;
        // A rotated file no longer grows: read to its end once; a record without its newline is dropped.
        while ((batch = follower.ReadAvailable(K8sFileLogFollower.BatchSize)).Count > 0)
            foreach (var e in batch) yield return e;
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

    /// <summary>Splits one record (without its newline) into its fields; false for a line that is not one.</summary>
    internal static bool TryParseRecord(ReadOnlySpan<byte> record, out DateTime time, out string stream, out bool partial, out ReadOnlySpan<byte> text)
    {
        time = default; stream = ""; partial = false; text = default;
        int s1 = record.IndexOf((byte)' ');
        if (s1 <= 0) return false;
        int s2 = record[(s1 + 1)..].IndexOf((byte)' ');
        if (s2 <= 0) return false;
        s2 += s1 + 1;
        var rest = record[(s2 + 1)..];
        int s3 = rest.IndexOf((byte)' ');
        var tag = s3 < 0 ? rest : rest[..s3];
        text = s3 < 0 ? ReadOnlySpan<byte>.Empty : rest[(s3 + 1)..];
        if (tag.Length != 1 || (tag[0] != (byte)'P' && tag[0] != (byte)'F')) return false;
        if (!DateTime.TryParse(Encoding.ASCII.GetString(record[..s1]), CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time))
            return false;
        stream = StreamName(record[(s1 + 1)..s2]);
        partial = tag[0] == (byte)'P';
        return true;
    }

    // The three names conmon writes, without a string per record.
    private static string StreamName(ReadOnlySpan<byte> s) =>
        s.SequenceEqual("stdout"u8) ? "stdout" : s.SequenceEqual("stderr"u8) ? "stderr" : s.SequenceEqual("stdin"u8) ? "stdin" : Encoding.ASCII.GetString(s);
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
        if (!K8sFileLog.TryParseRecord(record, out var time, out var stream, out bool partial, out var text)) return null;
        if (partial)
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

    /// <summary>A partial line read before (by the tail reader), to be finished by the records that follow.</summary>
    internal void Seed(string stream, DateTime time, byte[] text)
    {
        var m = new MemoryStream();
        m.Write(text);
        _partial[stream] = (time, m);
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
    /// <summary>Entries a caller takes at a time when it streams: one 64 KiB read holds about 1500
    /// records, so a batch is at most that much more than this.</summary>
    public const int BatchSize = 1024;

    private readonly string _path;
    private readonly K8sRecordJoiner _joiner;
    private readonly bool _followReplacement;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private FileStream? _file;
    private (ulong Inode, uint Major, uint Minor) _identity;
    private byte[] _pending = Array.Empty<byte>();
    private int _pendingLength;

    /// <param name="path">The log file's name; a file renamed over it is followed into.</param>
    /// <param name="joiner">Shared with an earlier reader (the rotated file) whose partial lines this file finishes.</param>
    /// <param name="followReplacement">False for a file that is read once as it is (the rotated one).</param>
    public K8sFileLogFollower(string path, K8sRecordJoiner? joiner = null, bool followReplacement = true)
    {
        _path = path;
        _joiner = joiner ?? new K8sRecordJoiner();
        _followReplacement = followReplacement;
    }

    /// <summary>How many times reading went on in a new file (replaced or truncated).</summary>
    public int Reopens { get; private set; }

    /// <summary>Opens the file now and returns it, so a caller can read what is there (the tail reader,
    /// from the end) and then <see cref="Resume"/> after it. Null when there is no file.</summary>
    internal FileStream? OpenNow() => _file is not null || Open() ? _file : null;

    /// <summary>Go on from <paramref name="offset"/> of the opened file, with the bytes of a record
    /// whose newline is not there yet (read by the caller before offset).</summary>
    internal void Resume(long offset, ReadOnlySpan<byte> pending)
    {
        _file!.Position = offset;
        _pendingLength = 0;
        Append(pending);
    }

    /// <summary>The entries completed since the last call, at most about <paramref name="max"/> (the
    /// rest stays in the file for the next call, so a large file is never held in memory); an empty
    /// list means everything written so far has been read. A record whose newline has not been written
    /// yet, and a line still in P records, wait for the next call (or Flush).</summary>
    public List<ContainerLogEntry> ReadAvailable(int max = int.MaxValue)
    {
        var entries = new List<ContainerLogEntry>();
        if (_file is null && !Open()) return entries;
        // Bounded: a writer that replaces the file faster than it can be read must not hold us here.
        for (int round = 0; round < 16; round++)
        {
            var now = _followReplacement ? Identity(FileStatus.TryLStat(_path)) : _identity;
            bool replaced = now != _identity;
            if (!replaced && _file!.Length < _file.Position)
            {
                _file.Position = 0;
                _pendingLength = 0;
                Reopens++;
            }
            if (!Drain(entries, max)) break; // stopped at max: the rest is for the next call
            if (!replaced) break;
            // A record left without its newline in a replaced file will never be finished.
            _pendingLength = 0;
            _file!.Dispose();
            _file = null;
            Reopens++;
            if (!Open()) break;
            if (entries.Count >= max) break;
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

    /// <summary>Reads to the end of the file, or until <paramref name="max"/> entries; true at the end.</summary>
    private bool Drain(List<ContainerLogEntry> entries, int max)
    {
        int n;
        while (entries.Count < max && (n = _file!.Read(_buffer, 0, _buffer.Length)) > 0)
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
        return entries.Count < max;
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
