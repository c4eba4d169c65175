using System.Text;
using PodShell.Engine.Containers;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Logs;

/// <summary>The backward tail reader: what it returns is what a full forward read ends with, and what it
/// reads is the tail, counted in bytes through the stream it is given.</summary>
public sealed class K8sFileLogTailTests : IDisposable
{
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Rec(int n, string stream, char tag, string text) =>
        $"2026-11-29T09:{n / 60 % 60:00}:{n % 60:00}.{n:000000000}+00:00 {stream} {tag} {text}\n";

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count) { int n = inner.Read(buffer, offset, count); BytesRead += n; return n; }
        public override int Read(Span<byte> buffer) { int n = inner.Read(buffer); BytesRead += n; return n; }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }

    private static List<ContainerLogEntry> Tail(int n, bool forFollow, params string[] filesOldestFirst)
    {
        var sources = filesOldestFirst.Select((text, i) =>
        {
            var s = new MemoryStream(Encoding.UTF8.GetBytes(text));
            return new K8sFileLogTail.Source(s, s.Length, Current: i == filesOldestFirst.Length - 1);
        }).ToList();
        return K8sFileLogTail.Read(sources, n, forFollow).Entries;
    }

    [Fact]
    public void TheTailOfA200MiBFile_ReadsOneBlockAndTheLines()
    {
        var path = _dir.Combine("ctr.log");
        var filler = Encoding.ASCII.GetBytes(Rec(1, "stdout", 'F', new string('x', 400)));
        using (var w = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            // 200 MiB in 1 MiB writes of whole records, then three numbered ones.
            var chunk = new byte[(1 << 20) / filler.Length * filler.Length];
            for (int at = 0; at < chunk.Length; at += filler.Length) filler.CopyTo(chunk, at);
            for (int i = 0; i < 200; i++) w.Write(chunk);
            foreach (var k in new[] { 1, 2, 3 }) w.Write(Encoding.ASCII.GetBytes(Rec(10 + k, "stdout", 'F', "last" + k)));
        }
        long size = new FileInfo(path).Length;
        Assert.True(size > 200_000_000);
        using var counting = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1));
        var r = K8sFileLogTail.Read(new[] { new K8sFileLogTail.Source(counting, size, true) }, 3, forFollow: false);
        Assert.Equal(new[] { "last1", "last2", "last3" }, r.Entries.Select(e => e.Line));
        // One 64 KiB block holds the three records; nothing else of the 200 MiB is touched.
        Assert.InRange(counting.BytesRead, 1, 64 * 1024 + 4096);

        // A larger tail costs in proportion to it: 1000 records of ~450 bytes are ~7 blocks.
        using var counting2 = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1));
        var r2 = K8sFileLogTail.Read(new[] { new K8sFileLogTail.Source(counting2, size, true) }, 1000, forFollow: false);
        Assert.Equal(1000, r2.Entries.Count);
        Assert.InRange(counting2.BytesRead, 997 * filler.Length, 997 * filler.Length + 2 * 64 * 1024);
    }

    [Fact]
    public void PartialRecords_AreJoined_WithOtherStreamsInBetween()
    {
        var log = Rec(1, "stdout", 'F', "one")
                + Rec(2, "stdout", 'P', "tw")
                + Rec(3, "stderr", 'F', "err")
                + Rec(4, "stdout", 'P', "o-")
                + Rec(5, "stdout", 'F', "two")
                + Rec(6, "stderr", 'F', "err2");
        Assert.Equal(new[] { "err", "two-two", "err2" }, Tail(3, false, log).Select(e => e.Line));
        var joined = Tail(2, false, log)[0];
        Assert.Equal(("two-two", "stdout"), (joined.Line, joined.Stream));
        Assert.Equal(2, joined.Time.Second); // the time of its first piece
        Assert.Empty(Tail(0, false, log));
    }

    [Fact]
    public void Tail_EqualsTheEndOfAForwardRead_ForRandomLogs()
    {
        var rng = new Random(1515);
        for (int round = 0; round < 200; round++)
        {
            var sb = new StringBuilder();
            var open = new Dictionary<string, bool> { ["stdout"] = false, ["stderr"] = false };
            int records = rng.Next(0, 40);
            for (int i = 0; i < records; i++)
            {
                var stream = rng.Next(3) == 0 ? "stderr" : "stdout";
                bool partial = rng.Next(3) == 0;
                sb.Append(Rec(i, stream, partial ? 'P' : 'F', $"{stream[3]}{i}"));
                open[stream] = partial;
            }
            // Every line finished, except that the very last record may be a partial one or lack its newline.
            foreach (var kv in open.Where(kv => kv.Value)) sb.Append(Rec(50, kv.Key, 'F', "end"));
            int ending = rng.Next(3);
            if (ending == 1) sb.Append(Rec(60, "stdout", 'P', "unfinished"));
            if (ending == 2) sb.Append(Rec(60, "stderr", 'F', "no newline").TrimEnd('\n'));
            var text = sb.ToString();

            // Split into a rotated file and the current one at a record boundary.
            var lines = text.Split('\n');
            int cut = rng.Next(0, lines.Length);
            var rotated = string.Concat(lines.Take(cut).Select(l => l + "\n"));
            var current = text[rotated.Length..];

            var forward = K8sFileLog.Parse(new StringReader(text)).Select(e => (e.Stream, e.Line, e.Time)).ToList();
            foreach (var n in new[] { 0, 1, 2, 3, 7, forward.Count, forward.Count + 5 })
            {
                var expected = forward.TakeLast(n).ToList();
                Assert.Equal(expected, Tail(n, false, rotated, current).Select(e => (e.Stream, e.Line, e.Time)).ToList());
            }
        }
    }

    [Fact]
    public void AFileCutShorterDuringTheRead_GivesWhatIsLeft_NotAnError()
    {
        var text = string.Concat(Enumerable.Range(1, 3000).Select(i => Rec(i, "stdout", 'F', "line" + i)));
        var s = new MemoryStream();
        s.Write(Encoding.UTF8.GetBytes(text));
        long end = s.Length;
        s.SetLength(end / 2); // emptied to half after its length was taken
        var r = K8sFileLogTail.Read(new[] { new K8sFileLogTail.Source(s, end, true) }, 5, forFollow: false);
        Assert.All(r.Entries, e => Assert.StartsWith("line", e.Line));
    }

    [Fact]
    public void ForAFollower_UnfinishedLinesAndTheUnterminatedRecord_AreHandedOver()
    {
        var log = Rec(1, "stdout", 'F', "done")
                + Rec(2, "stdout", 'P', "half-")
                + Rec(3, "stderr", 'F', "err")
                + Rec(4, "stdout", 'F', "cut bef").TrimEnd('\n');
        var s = new MemoryStream(Encoding.UTF8.GetBytes(log));
        var r = K8sFileLogTail.Read(new[] { new K8sFileLogTail.Source(s, s.Length, true) }, 5, forFollow: true);
        Assert.Equal(new[] { "done", "err" }, r.Entries.Select(e => e.Line));
        var (stream, _, text) = Assert.Single(r.Unfinished);
        Assert.Equal(("stdout", "half-"), (stream, Encoding.UTF8.GetString(text)));
        Assert.EndsWith("stdout F cut bef", Encoding.UTF8.GetString(r.Pending));
    }
}
