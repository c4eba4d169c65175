using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Containers;

public sealed class K8sFileLogTests
{
    private static List<ContainerLogEntry> Parse(params string[] lines) =>
        K8sFileLog.Parse(new StringReader(string.Join('\n', lines) + "\n")).ToList();

    private static DateTime Utc(int h, int m, int s, long ticks = 0) =>
        new DateTime(2026, 11, 29, h, m, s, DateTimeKind.Utc).AddTicks(ticks);

    [Fact]
    public void FullLines_KeepStreamTextAndSpaces()
    {
        var e = Parse(
            "2026-11-29T09:07:25.064856637+00:00 stdout F hello world",
            "2026-11-29T09:07:26.000000000+00:00 stderr F  two  spaces ",
            "2026-11-29T09:07:27.000000000+00:00 stdout F");

        Assert.Equal(3, e.Count);
        Assert.Equal(("stdout", "hello world"), (e[0].Stream, e[0].Line));
        Assert.Equal(("stderr", " two  spaces "), (e[1].Stream, e[1].Line));
        Assert.Equal(("stdout", ""), (e[2].Stream, e[2].Line));
    }

    [Fact]
    public void ConmonTimestamps_WithNanosecondsAndOffsets_AreUtc()
    {
        var e = Parse(
            "2026-11-29T09:07:25.064856637+00:00 stdout F a",
            "2026-11-29T11:07:25.5+02:00 stdout F b",
            "2026-11-29T04:07:25-05:00 stdout F c",
            "2026-11-29T09:07:25.25Z stdout F d");

        Assert.All(e, x => Assert.Equal(DateTimeKind.Utc, x.Time.Kind));
        // Ticks are 100 ns: the last two of nine digits cannot be kept.
        Assert.Equal(Utc(9, 7, 25, 648566), e[0].Time);
        Assert.Equal(Utc(9, 7, 25, 5_000_000), e[1].Time);
        Assert.Equal(Utc(9, 7, 25), e[2].Time);
        Assert.Equal(Utc(9, 7, 25, 2_500_000), e[3].Time);
    }

    [Fact]
    public void Partials_AreJoinedUpToTheFullRecord_WithTheFirstTime()
    {
        var e = Parse(
            "2026-11-29T09:00:01.000000000+00:00 stdout P abc",
            "2026-11-29T09:00:02.000000000+00:00 stdout P def",
            "2026-11-29T09:00:03.000000000+00:00 stdout F ghi",
            "2026-11-29T09:00:04.000000000+00:00 stdout F next");

        Assert.Equal(new[] { "abcdefghi", "next" }, e.Select(x => x.Line));
        Assert.Equal(Utc(9, 0, 1), e[0].Time);
        Assert.Equal(Utc(9, 0, 4), e[1].Time);
    }

    [Fact]
    public void InterleavedPartials_AreReassembledPerStream()
    {
        var e = Parse(
            "2026-11-29T09:00:01.000000000+00:00 stdout P out-1 ",
            "2026-11-29T09:00:02.000000000+00:00 stderr P err-1 ",
            "2026-11-29T09:00:03.000000000+00:00 stdout P out-2 ",
            "2026-11-29T09:00:04.000000000+00:00 stderr F err-end",
            "2026-11-29T09:00:05.000000000+00:00 stdout F out-end");

        Assert.Equal(2, e.Count);
        Assert.Equal(("stderr", "err-1 err-end", Utc(9, 0, 2)), (e[0].Stream, e[0].Line, e[0].Time));
        Assert.Equal(("stdout", "out-1 out-2 out-end", Utc(9, 0, 1)), (e[1].Stream, e[1].Line, e[1].Time));
    }

    [Fact]
    public void TrailingPartial_IsShown()
    {
        var e = Parse(
            "2026-11-29T09:00:01.000000000+00:00 stdout F done",
            "2026-11-29T09:00:02.000000000+00:00 stdout P still typ",
            "2026-11-29T09:00:03.000000000+00:00 stdout P ing");

        Assert.Equal(new[] { "done", "still typing" }, e.Select(x => x.Line));
        Assert.Equal(Utc(9, 0, 2), e[1].Time);
    }

    [Fact]
    public void GarbageLines_AreSkipped()
    {
        var e = Parse(
            "",
            "not a log line at all",
            "2026-11-29T09:00:01+00:00 stdout",
            "yesterday stdout F nope",
            "2026-13-45T99:00:00+00:00 stdout F bad date",
            "2026-11-29T09:00:02.000000000+00:00 stdout F kept");

        Assert.Equal(new[] { "kept" }, e.Select(x => x.Line));
    }

    [Fact]
    public void Read_MissingFile_IsEmpty_AndAFileIsParsed()
    {
        using var dir = new ScratchDir();
        Assert.Empty(K8sFileLog.Read(dir.Combine("missing.log")));
        var path = dir.Combine("ctr.log");
        File.WriteAllText(path, "2026-11-29T09:00:02.000000000+00:00 stderr F boom\n");
        var e = Assert.Single(K8sFileLog.Read(path));
        Assert.Equal(("stderr", "boom"), (e.Stream, e.Line));
    }
}
