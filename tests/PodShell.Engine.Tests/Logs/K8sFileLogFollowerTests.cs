using System.Text;
using PodShell.Engine.Containers;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Logs;

/// <summary>The follower against files changed the way conmon changes them: appends that may stop
/// mid-record, and at the size limit a new file renamed over the old one.</summary>
public sealed class K8sFileLogFollowerTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    private string LogPath => _dir.Combine("ctr.log");

    public void Dispose() => _dir.Dispose();

    private static string Rec(int second, string stream, char tag, string text) =>
        $"2026-11-29T09:00:{second:00}.000000000+00:00 {stream} {tag} {text}\n";

    private void Append(string text) => File.AppendAllText(LogPath, text);
    private void Append(byte[] bytes) { using var f = new FileStream(LogPath, FileMode.Append); f.Write(bytes); }

    /// <summary>conmon's reopen_k8s_file: write ctr.log.tmp, rename it over ctr.log.</summary>
    private void Replace(string text)
    {
        File.WriteAllText(LogPath + ".tmp", text);
        File.Move(LogPath + ".tmp", LogPath, overwrite: true);
    }

    [Fact]
    public void MissingFile_IsEmpty_UntilItAppears()
    {
        using var f = new K8sFileLogFollower(LogPath);
        Assert.Empty(f.ReadAvailable());
        Append(Rec(1, "stdout", 'F', "first"));
        Assert.Equal(new[] { "first" }, f.ReadAvailable().Select(e => e.Line));
    }

    [Fact]
    public void Appends_AreReturnedOnce_InOrder()
    {
        Append(Rec(1, "stdout", 'F', "a") + Rec(2, "stderr", 'F', "b"));
        using var f = new K8sFileLogFollower(LogPath);
        Assert.Equal(new[] { "a", "b" }, f.ReadAvailable().Select(e => e.Line));
        Assert.Empty(f.ReadAvailable());
        Append(Rec(3, "stdout", 'F', "c"));
        var next = Assert.Single(f.ReadAvailable());
        Assert.Equal(("stdout", "c"), (next.Stream, next.Line));
        Assert.Empty(f.Flush());
    }

    [Fact]
    public void ARecordCutBeforeItsNewline_WaitsForTheRest()
    {
        var rec = Rec(1, "stdout", 'F', "whole line");
        using var f = new K8sFileLogFollower(LogPath);
        Append(rec[..30]);
        Assert.Empty(f.ReadAvailable());
        Append(rec[30..]);
        Assert.Equal(new[] { "whole line" }, f.ReadAvailable().Select(e => e.Line));
    }

    [Fact]
    public void APartialLine_IsHeldUntilItsFullRecord_OrFlush()
    {
        using var f = new K8sFileLogFollower(LogPath);
        Append(Rec(1, "stdout", 'P', "Enter name: "));
        Assert.Empty(f.ReadAvailable());
        Append(Rec(2, "stdout", 'F', "bob"));
        var e = Assert.Single(f.ReadAvailable());
        Assert.Equal("Enter name: bob", e.Line);
        Assert.Equal(new DateTime(2026, 11, 29, 9, 0, 1, DateTimeKind.Utc), e.Time);

        Append(Rec(3, "stderr", 'P', "no newline"));
        Assert.Empty(f.ReadAvailable());
        Assert.Equal(new[] { ("stderr", "no newline") }, f.Flush().Select(x => (x.Stream, x.Line)));
        Assert.Empty(f.Flush());
    }

    [Fact]
    public void AUtf8CharacterSplitAcrossPartials_IsRejoined()
    {
        var euro = Encoding.UTF8.GetBytes("€"); // three bytes
        var head = Encoding.ASCII.GetBytes("2026-11-29T09:00:01.000000000+00:00 stdout P price 5");
        var tail = Encoding.ASCII.GetBytes("2026-11-29T09:00:01.000000000+00:00 stdout F ");
        Append(head.Concat(euro[..1]).Append((byte)'\n').Concat(tail).Concat(euro[1..]).Append((byte)'\n').ToArray());
        Assert.Equal(new[] { "price 5€" }, K8sFileLog.Read(LogPath).Select(e => e.Line));
    }

    [Fact]
    public void AReplacedFile_IsReadToItsEnd_ThenTheNewOneFromItsStart()
    {
        Append(Rec(1, "stdout", 'F', "old-1"));
        using var f = new K8sFileLogFollower(LogPath);
        Assert.Equal(new[] { "old-1" }, f.ReadAvailable().Select(e => e.Line));

        // The old file gets its last record, then is replaced, before the follower looks again.
        Append(Rec(2, "stdout", 'F', "old-2"));
        Replace(Rec(3, "stdout", 'F', "new-1"));
        Assert.Equal(new[] { "old-2", "new-1" }, f.ReadAvailable().Select(e => e.Line));
        Assert.Equal(1, f.Reopens);

        Append(Rec(4, "stdout", 'F', "new-2"));
        Assert.Equal(new[] { "new-2" }, f.ReadAvailable().Select(e => e.Line));
    }

    [Fact]
    public void APartialLine_ContinuesAcrossAReplacement()
    {
        using var f = new K8sFileLogFollower(LogPath);
        Append(Rec(1, "stdout", 'P', "left "));
        Assert.Empty(f.ReadAvailable());
        Replace(Rec(2, "stdout", 'F', "right"));
        Assert.Equal(new[] { "left right" }, f.ReadAvailable().Select(e => e.Line));
    }

    [Fact]
    public void AFileTruncatedInPlace_IsReadAgainFromItsStart()
    {
        Append(Rec(1, "stdout", 'F', "a fairly long first line") + Rec(2, "stdout", 'F', "and a second one"));
        using var f = new K8sFileLogFollower(LogPath);
        Assert.Equal(2, f.ReadAvailable().Count);
        using (var w = new FileStream(LogPath, FileMode.Open, FileAccess.Write)) w.SetLength(0);
        Append(Rec(3, "stdout", 'F', "after"));
        Assert.Equal(new[] { "after" }, f.ReadAvailable().Select(e => e.Line));
        Assert.Equal(1, f.Reopens);
    }

    [Fact]
    public void ADeletedFile_EndsTheOldOne_AndANewOneIsPickedUp()
    {
        Append(Rec(1, "stdout", 'F', "gone"));
        using var f = new K8sFileLogFollower(LogPath);
        Assert.Single(f.ReadAvailable());
        File.Delete(LogPath);
        Assert.Empty(f.ReadAvailable());
        Append(Rec(2, "stdout", 'F', "back"));
        Assert.Equal(new[] { "back" }, f.ReadAvailable().Select(e => e.Line));
    }

    [Fact]
    public void ALargeLog_IsReadWhole()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 20000; i++) sb.Append(Rec(i % 60, i % 3 == 0 ? "stderr" : "stdout", 'F', "line " + i));
        Append(sb.ToString());
        var all = K8sFileLog.Read(LogPath).ToList();
        Assert.Equal(20000, all.Count);
        Assert.Equal("line 19999", all[^1].Line);
        Assert.Equal(Enumerable.Range(0, 20000).Count(i => i % 3 == 0), all.Count(e => e.Stream == "stderr"));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(8191L)]
    [InlineData(-1L)]
    public void SizeLimits_BelowEightKiB_AreRefused(long bytes)
    {
        var e = Assert.Throws<PodShellException>(() => K8sFileLog.CheckSizeMax(bytes));
        Assert.Equal("InvalidLogSizeMax", e.ErrorId);
    }

    [Fact]
    public void SizeLimits_OfEightKiBOrNone_AreAccepted()
    {
        K8sFileLog.CheckSizeMax(8192);
        K8sFileLog.CheckSizeMax(long.MaxValue);
    }
}
