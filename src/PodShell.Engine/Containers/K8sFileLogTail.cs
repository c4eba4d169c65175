using System.Text;

namespace PodShell.Engine.Containers;

/// <summary>The last N entries of a k8s-file log, read backwards from its end: the cost is the bytes of
/// those entries plus one 64 KiB block, whatever the size of the file (issue 15: `-Tail 3` of a 1.13 GB
/// log read it all, 2.59 GB of memory).
///
/// An entry is a run of P records of one stream ended by an F record of that stream (other streams may
/// come in between). Read backwards, an F record starts an entry, the P records of its stream before it
/// belong to it, and the next F record of that stream (further back) ends it. Entries are therefore met
/// in the order of their F record, newest first; once N are met, only those still open are read on.
/// Records are taken across the rotated file and the current one as one sequence.
///
/// With <c>-Since</c> the tail is taken first and filtered after: the log is written in time order, so
/// that is the same as filtering first, unless the clock was stepped back while the container wrote.
/// Two more departures from a forward read, both about lines never finished: a one-time read places such
/// a line by its last piece when counting (a forward read puts them all at the end), and a follower is
/// handed only those met before the N entries were complete (one further back comes, when finished,
/// without its first pieces).</summary>
public static class K8sFileLogTail
{
    /// <summary>One file to read, up to <paramref name="End"/> (its length when the read began).
    /// <paramref name="Current"/> is the file conmon writes: only there can the last record still be
    /// waiting for its newline.</summary>
    public sealed record Source(Stream Stream, long End, bool Current);

    public sealed class Result
    {
        /// <summary>Oldest first.</summary>
        public List<ContainerLogEntry> Entries { get; } = new();

        /// <summary>For a follower: lines whose P records are in the file but whose F record is not yet.</summary>
        public List<(string Stream, DateTime Time, byte[] Text)> Unfinished { get; } = new();

        /// <summary>For a follower: the bytes after the current file's last newline.</summary>
        public byte[] Pending { get; set; } = Array.Empty<byte>();
    }

    private sealed class Chain
    {
        public static readonly Chain Ignored = new() { Stream = "" };
        public required string Stream;
        public DateTime Time;
        public long Key;
        public bool Unfinished;
        public readonly List<byte[]> PartsNewestFirst = new();

        public byte[] Text()
        {
            if (PartsNewestFirst.Count == 1) return PartsNewestFirst[0];
            var all = new byte[PartsNewestFirst.Sum(p => p.Length)];
            int at = 0;
            for (int i = PartsNewestFirst.Count - 1; i >= 0; i--)
            {
                PartsNewestFirst[i].CopyTo(all, at);
                at += PartsNewestFirst[i].Length;
            }
            return all;
        }
    }

    /// <summary>The last <paramref name="count"/> entries of <paramref name="oldestFirst"/>. For a
    /// one-time read (<paramref name="forFollow"/> false) an unterminated last record and unfinished
    /// partial lines are entries, as at the end of a full read. For a follower they are not: they go to
    /// <see cref="Result.Pending"/> and <see cref="Result.Unfinished"/>, to be finished by what comes.</summary>
    public static Result Read(IReadOnlyList<Source> oldestFirst, int count, bool forFollow)
    {
        var result = new Result();
        var open = new Dictionary<string, Chain>();
        var done = new List<Chain>();
        int counted = 0;

        void Take(long key, ReadOnlySpan<byte> record)
        {
            if (!K8sFileLog.TryParseRecord(record, out var time, out var stream, out bool partial, out var text)) return;
            open.TryGetValue(stream, out var chain);
            if (chain is not null && partial)
            {
                if (chain != Chain.Ignored) { chain.PartsNewestFirst.Add(text.ToArray()); chain.Time = time; }
                return;
            }
            // An F record, or the last P record of a stream whose line is not finished.
            if (chain is not null && chain != Chain.Ignored) done.Add(chain);
            bool unfinished = partial;
            if (unfinished && forFollow)
            {
                open[stream] = NewChain(stream, time, key, text, unfinished: true);
                return;
            }
            if (counted < count)
            {
                counted++;
                open[stream] = NewChain(stream, time, key, text, unfinished);
            }
            else
            {
                open[stream] = Chain.Ignored;
            }
        }

        bool Finished() => counted >= count && open.Values.All(c => c == Chain.Ignored);

        for (int f = oldestFirst.Count - 1; f >= 0 && !Finished(); f--)
        {
            var src = oldestFirst[f];
            long fileKey = (long)f << 48;
            var lines = new ReverseLineReader(src.Stream, src.End);
            var tail = lines.Unterminated();
            if (src.Current && tail.Length > 0)
            {
                if (forFollow) result.Pending = tail;
                else Take(fileKey + lines.UnterminatedOffset, tail);
            }
            // (a rotated file's record without a newline was cut by a crash and is never finished)
            while (!Finished() && lines.TryPrevious(out long offset, out var line))
                Take(fileKey + offset, line);
        }
        foreach (var c in open.Values)
            if (c != Chain.Ignored) done.Add(c);

        foreach (var c in done.Where(c => !c.Unfinished).OrderBy(c => c.Key))
            result.Entries.Add(Entry(c));
        var unfinishedChains = done.Where(c => c.Unfinished).OrderBy(c => c.Time).ToList();
        if (forFollow)
            result.Unfinished.AddRange(unfinishedChains.Select(c => (c.Stream, c.Time, c.Text())));
        else
            result.Entries.AddRange(unfinishedChains.Select(Entry));
        if (result.Entries.Count > count) result.Entries.RemoveRange(0, result.Entries.Count - count);
        return result;
    }

    private static Chain NewChain(string stream, DateTime time, long key, ReadOnlySpan<byte> text, bool unfinished)
    {
        var c = new Chain { Stream = stream, Time = time, Key = key, Unfinished = unfinished };
        c.PartsNewestFirst.Add(text.ToArray());
        return c;
    }

    private static ContainerLogEntry Entry(Chain c) =>
        new() { Time = c.Time, Stream = c.Stream, Line = Encoding.UTF8.GetString(c.Text()) };
}

/// <summary>Lines of a stream from its end backwards, through one cached block.</summary>
internal sealed class ReverseLineReader
{
    private const int Block = 64 * 1024;
    private readonly Stream _stream;
    private readonly long _end;
    private readonly byte[] _block = new byte[Block];
    private long _blockStart;
    private int _blockLength;
    private long _lineEnd; // exclusive end (the position of its newline) of the next line to return
    private bool _done;

    public ReverseLineReader(Stream stream, long end)
    {
        _stream = stream;
        _end = end;
        long lastNewline = FindNewlineBefore(end);
        UnterminatedOffset = lastNewline + 1;
        _lineEnd = lastNewline;
        _done = lastNewline < 0;
    }

    /// <summary>Where the bytes after the last newline begin.</summary>
    public long UnterminatedOffset { get; }

    public byte[] Unterminated() => ReadRange(UnterminatedOffset, _end);

    public bool TryPrevious(out long offset, out byte[] line)
    {
        if (_done) { offset = 0; line = Array.Empty<byte>(); return false; }
        long start = FindNewlineBefore(_lineEnd) + 1;
        line = ReadRange(start, _lineEnd);
        offset = start;
        _lineEnd = start - 1;
        _done = start == 0;
        return true;
    }

    private long FindNewlineBefore(long before)
    {
        while (before > 0)
        {
            if (!(before > _blockStart && before <= _blockStart + _blockLength)) Load(before);
            int upto = (int)(before - _blockStart);
            int i = _block.AsSpan(0, upto).LastIndexOf((byte)'\n');
            if (i >= 0) return _blockStart + i;
            before = _blockStart;
        }
        return -1;
    }

    /// <summary>Caches the block that ends at <paramref name="before"/>.</summary>
    private void Load(long before)
    {
        _blockStart = Math.Max(0, before - Block);
        _blockLength = (int)(before - _blockStart);
        _stream.Position = _blockStart;
        Fill(_block.AsSpan(0, _blockLength));
    }

    /// <summary>Reads what is there; a file cut shorter meanwhile (someone emptied it) leaves zeros,
    /// which are no record, instead of failing the read.</summary>
    private void Fill(Span<byte> into)
    {
        int n = _stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        into[n..].Clear();
    }

    private byte[] ReadRange(long from, long to)
    {
        var bytes = new byte[to - from];
        if (from >= _blockStart && to <= _blockStart + _blockLength)
        {
            _block.AsSpan((int)(from - _blockStart), bytes.Length).CopyTo(bytes);
        }
        else if (bytes.Length > 0)
        {
            // A line longer than what is cached: read it whole.
            _stream.Position = from;
            Fill(bytes);
        }
        return bytes;
    }
}
