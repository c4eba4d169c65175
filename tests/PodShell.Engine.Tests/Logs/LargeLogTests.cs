using System.Text;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Logs;

/// <summary>Issue 15 item 5: reading a large log must cost what is returned, not what is on disk.
/// The logs are written straight into a created container's bundle (conmon would take minutes to
/// write this much), and the work is counted in bytes allocated, never timed.</summary>
public sealed class LargeLogTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public LargeLogTests(EngineFixture fx) => _fx = fx;

    /// <summary>64 MiB of 100-byte records: about 670000 lines, numbered.</summary>
    private const int Lines = 670_000;

    private static string Rec(int i, string stream = "stdout", char tag = 'F', string? text = null) =>
        $"2026-11-29T09:00:00.{i % 1_000_000_000:000000000}+00:00 {stream} {tag} {text ?? $"line {i:0000000} " + new string('x', 45)}\n";

    private static void WriteBigLog(string path, int lines, int first = 1)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (int i = first; i < first + lines; i++) f.Write(Encoding.ASCII.GetBytes(Rec(i)));
    }

    private Container Created()
    {
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox",
            Name = "biglog-" + Guid.NewGuid().ToString("N")[..8],
            Command = new[] { "true" },
        });
        return c;
    }

    private static long Allocated(Action a)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        a();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [MachineFact(Needs.Root)]
    public void Tail_OfALargeLog_AllocatesForTheTailOnly()
    {
        var c = Created();
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            WriteBigLog(log, Lines);
            Assert.True(new FileInfo(log).Length > 60L << 20);
            List<string> tail = null!;
            long bytes = Allocated(() => tail = Engine.GetLogs(c.Id, tail: 3).Select(e => e.Line).ToList());
            Assert.Equal(new[] { Lines - 2, Lines - 1, Lines }.Select(i => $"line {i:0000000} " + new string('x', 45)), tail);
            // The whole file is 64 MiB; a tail of 3 lines may cost its read buffers and the engine's
            // record lookup, a few MiB at most. Reading the file through costs hundreds of MiB.
            Assert.True(bytes < 4L << 20, $"-Tail 3 of a 64 MiB log allocated {bytes / 1024} KiB");
        }
        finally { Engine.RemoveContainer(c.Id, force: true); }
    }

    [MachineFact(Needs.Root)]
    public void AFullRead_Streams_TheFirstEntryComesBeforeTheFileIsRead()
    {
        var c = Created();
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            WriteBigLog(log, Lines);
            string first = null!;
            long bytes = Allocated(() => first = Engine.GetLogs(c.Id).First().Line);
            Assert.Equal("line 0000001 " + new string('x', 45), first);
            Assert.True(bytes < 4L << 20, $"the first entry of a 64 MiB log allocated {bytes / 1024} KiB");
            // And reading it all keeps nothing: each entry is garbage once the caller has it.
            int count = 0;
            foreach (var _ in Engine.GetLogs(c.Id)) count++;
            Assert.Equal(Lines, count);
        }
        finally { Engine.RemoveContainer(c.Id, force: true); }
    }

    [MachineFact(Needs.Root)]
    public void Reads_GoAcrossTheRotatedFile_ThenTheCurrentOne()
    {
        var c = Created();
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            WriteBigLog(log + ".1", 100, first: 1);
            WriteBigLog(log, 2, first: 101);
            var all = Engine.GetLogs(c.Id).Select(e => e.Line[..12]).ToList();
            Assert.Equal(Enumerable.Range(1, 102).Select(i => $"line {i:0000000}"), all);
            Assert.Equal(new[] { "line 0000100", "line 0000101", "line 0000102" },
                Engine.GetLogs(c.Id, tail: 3).Select(e => e.Line[..12]));
            Assert.Equal(new[] { "line 0000099", "line 0000100", "line 0000101", "line 0000102" },
                Engine.GetLogs(c.Id, tail: 4, follow: true).Select(e => e.Line[..12]));
        }
        finally { Engine.RemoveContainer(c.Id, force: true); }
    }

    [MachineFact(Needs.Root)]
    public void APartialLine_SplitAcrossTheRotatedFile_IsJoined_AndTailCountsItOnce()
    {
        var c = Created();
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            File.WriteAllText(log + ".1", Rec(1, text: "one") + Rec(2, tag: 'P', text: "tw") + Rec(3, "stderr", text: "err"));
            File.WriteAllText(log, Rec(4, tag: 'P', text: "o-") + Rec(5, text: "two") + Rec(6, text: "three"));
            Assert.Equal(new[] { "one", "err", "two-two", "three" }, Engine.GetLogs(c.Id).Select(e => e.Line));
            Assert.Equal(new[] { "two-two", "three" }, Engine.GetLogs(c.Id, tail: 2).Select(e => e.Line));
        }
        finally { Engine.RemoveContainer(c.Id, force: true); }
    }
}
