using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Tests.Inspect;

public sealed class OverlayChangesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("podshell-changes-").FullName;
    private string Upper => Path.Combine(_root, "upper");
    private string Lower1 => Path.Combine(_root, "lower1");
    private string Lower2 => Path.Combine(_root, "lower2");

    public OverlayChangesTests()
    {
        foreach (var d in new[] { Upper, Lower1, Lower2 }) Directory.CreateDirectory(d);
        // lower2 is the base, lower1 on top of it.
        Write(Lower2, "bin/busybox", "bb");
        Write(Lower2, "bin/cat", "cat");
        Write(Lower2, "etc/passwd", "root");
        Write(Lower1, "etc/group", "root");
        Directory.CreateDirectory(Path.Combine(Lower2, "var/lib"));
        Write(Lower2, "var/lib/x", "x");
    }

    public void Dispose() => Directory.Delete(_root, true);

    private static void Write(string root, string rel, string text)
    {
        var p = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
    }

    private IReadOnlyList<string> Changes() =>
        OverlayChanges.Read(Upper, new[] { Lower1, Lower2 }).Select(c => $"{c.Kind.ToString()[0]} {c.Path}").ToList();

    [Fact]
    public void AddedChangedAndDeleted_FromUpperAgainstLowers()
    {
        Write(Upper, "etc/passwd", "root\nweb");   // in lower2: Changed
        Write(Upper, "etc/group", "g");            // in lower1: Changed
        Write(Upper, "newfile", "hi");             // nowhere below: Added
        Directory.CreateDirectory(Path.Combine(Upper, "bin"));
        FileNodes.Mknod(Path.Combine(Upper, "bin/cat"), FileNodes.S_IFCHR, 0, 0); // whiteout: Deleted
        Directory.CreateDirectory(Path.Combine(Upper, "emptydir"));            // new empty dir: Added

        Assert.Equal(new[] { "C /bin", "D /bin/cat", "A /emptydir", "C /etc", "C /etc/group", "C /etc/passwd", "A /newfile" }, Changes());
    }

    [MachineFact(Needs.Root)]
    public void OpaqueDirectoryThatExistsBelow_IsDeletedThenItsContents()
    {
        Directory.CreateDirectory(Path.Combine(Upper, "var/lib"));
        Xattr.Set(Path.Combine(Upper, "var/lib"), "trusted.overlay.opaque", "y"u8.ToArray());
        Write(Upper, "var/lib/new", "n");

        Assert.Equal(new[] { "C /var", "D /var/lib", "A /var/lib/new" }, Changes());
    }

    [MachineFact(Needs.Root)]
    public void OpaqueNewDirectory_IsAdded()
    {
        Directory.CreateDirectory(Path.Combine(Upper, "fresh"));
        Xattr.Set(Path.Combine(Upper, "fresh"), "trusted.overlay.opaque", "y"u8.ToArray());
        Assert.Equal(new[] { "A /fresh" }, Changes());
    }

    [Fact]
    public void EnginePlaceholders_AndDirectoriesMadeOnlyForThem_AreLeftOut()
    {
        Write(Upper, "etc/hostname", "");
        Write(Upper, "etc/hosts", "");
        Write(Upper, "etc/resolv.conf", "");
        Write(Upper, "run/.containerenv", "");
        Assert.Empty(Changes());

        Write(Upper, "run/app.pid", "1");
        Assert.Equal(new[] { "A /run", "A /run/app.pid" }, Changes());
    }

    [Fact]
    public void FileWhiteoutedInAHigherLower_CountsAsAbsent()
    {
        FileNodes.Mknod(Path.Combine(Lower1, "gone"), FileNodes.S_IFCHR, 0, 0);
        Write(Lower2, "gone", "old");
        Write(Upper, "gone", "new");
        Assert.Equal(new[] { "A /gone" }, Changes());
    }

    [Fact]
    public void MissingUpper_IsNoChanges() =>
        Assert.Empty(OverlayChanges.Read(Path.Combine(_root, "nope"), new[] { Lower1 }));
}
