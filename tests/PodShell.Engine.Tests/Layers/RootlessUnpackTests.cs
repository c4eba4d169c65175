using System.Formats.Tar;
using System.Text;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Layers;

/// <summary>LayerUnpacker with a user namespace (an ordinary user's store), run as root here: what must differ is
/// what the unpacker asks of the namespace and which owners it does not set itself.</summary>
public sealed class RootlessUnpackTests : IDisposable
{
    private readonly TempDir _temp = new("rootless-unpack");
    private readonly FakeUserNamespaceFiles _userns = new();

    public void Dispose() => _temp.Dispose();

    private string Unpack(byte[] tar, IUserNamespaceFiles? userns, string name = "diff")
    {
        var root = Path.Combine(_temp.Path, name);
        Directory.CreateDirectory(root);
        LayerUnpacker.Unpack(new MemoryStream(tar), root, CancellationToken.None, userns);
        return root;
    }

    private static PaxTarEntry Symlink(string name, string target, int uid, int gid) =>
        new(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF, Uid = uid, Gid = gid, ModificationTime = TarBuilder.DefaultTime };

    private static (int Uid, int Gid) Owner(string path)
    {
        var st = FileStatus.TryLStat(path)!.Value;
        return (st.Uid, st.Gid);
    }

    private static byte[] OwnersTar() => new TarBuilder()
        .Dir("etc/", uid: 0, gid: 0)
        .File("etc/passwd", "root:x:0:0", uid: 0, gid: 0)
        .File("etc/shadow", "secret", mode: 0x1A0 /* 0640 */, uid: 0, gid: 42)
        .File("bin/su", "su", mode: 0x9ED /* 04755 */, uid: 0, gid: 0)
        .File("usr/bin/wall", "wall", mode: 0x5ED /* 02755 */, uid: 0, gid: 5)
        .File("usr/bin/own", "own", mode: 0xDED /* 06755 */, uid: 1000, gid: 1000)
        .Dir("home/app/", mode: 0x5C0 /* 02700 */, uid: 1000, gid: 1000)
        .File("home/app/data", "d", uid: 1000, gid: 0)
        .Add(Symlink("home/app/link", "data", 1000, 1000))
        .Add(Symlink("rootlink", "etc", 0, 0))
        .Build();

    [Fact]
    public void RootOwnedEntries_AreNotDeferred_OthersAreDeferredWithTheirIds()
    {
        var root = Unpack(OwnersTar(), _userns);

        var call = Assert.Single(_userns.SetOwnersCalls);
        var byPath = call.ToDictionary(o => o.Path[(root.Length + 1)..]);
        Assert.Equal(new[] { "etc/shadow", "home/app", "home/app/data", "home/app/link", "usr/bin/own", "usr/bin/wall" },
            byPath.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((0, 42), (byPath["etc/shadow"].Uid, byPath["etc/shadow"].Gid));
        Assert.Equal((1000, 1000), (byPath["home/app"].Uid, byPath["home/app"].Gid));
        Assert.Equal((1000, 0), (byPath["home/app/data"].Uid, byPath["home/app/data"].Gid));
        Assert.Equal((1000, 1000), (byPath["home/app/link"].Uid, byPath["home/app/link"].Gid));
        Assert.Equal((0, 5), (byPath["usr/bin/wall"].Uid, byPath["usr/bin/wall"].Gid));
        Assert.All(call, o => Assert.StartsWith(root + "/", o.Path));
    }

    [Fact]
    public void SetidModes_AreFlaggedForFilesOnly()
    {
        var root = Unpack(OwnersTar(), _userns);
        var byPath = _userns.SetOwnersCalls.Single().ToDictionary(o => o.Path[(root.Length + 1)..]);

        Assert.True(byPath["usr/bin/wall"].RestoreMode);
        Assert.Equal(0x5ED, byPath["usr/bin/wall"].Mode & 0xFFF);
        Assert.True(byPath["usr/bin/own"].RestoreMode);
        Assert.Equal(0xDED, byPath["usr/bin/own"].Mode & 0xFFF);
        // chown keeps a directory's setgid bit; a symlink has no mode of its own.
        Assert.False(byPath["home/app"].RestoreMode);
        Assert.False(byPath["home/app/link"].RestoreMode);
        Assert.False(byPath["home/app/data"].RestoreMode);
        Assert.False(byPath["etc/shadow"].RestoreMode);
        // Modes are on disk already; the flag only says they must be set again after chown.
        Assert.Equal(0x9ED, FileStatus.TryLStat(root + "/bin/su")!.Value.Permissions);
        Assert.Equal(0xDED, FileStatus.TryLStat(root + "/usr/bin/own")!.Value.Permissions);
        Assert.Equal(0x5C0, FileStatus.TryLStat(root + "/home/app")!.Value.Permissions);
    }

    [MachineFact(Needs.Root)]
    public void WithUserns_TheUnpackerSetsNoOwnerItself()
    {
        var root = Unpack(OwnersTar(), _userns);
        // Everything stays owned by the extracting user (here root): the namespace gives the owners.
        foreach (var rel in new[] { "etc/shadow", "home/app", "home/app/data", "home/app/link", "usr/bin/own", "bin/su" })
            Assert.Equal((0, 0), Owner(root + "/" + rel));
    }

    [MachineFact(Needs.Root)]
    public void WithoutUserns_OwnersAreSetDirectly_AndNothingIsDeferred()
    {
        var root = Unpack(OwnersTar(), null);
        Assert.Empty(_userns.SetOwnersCalls);
        Assert.Equal((0, 42), Owner(root + "/etc/shadow"));
        Assert.Equal((1000, 1000), Owner(root + "/home/app"));
        Assert.Equal((1000, 0), Owner(root + "/home/app/data"));
        Assert.Equal((1000, 1000), Owner(root + "/home/app/link"));
        Assert.Equal(0xDED, FileStatus.TryLStat(root + "/usr/bin/own")!.Value.Permissions);
    }

    [Fact]
    public void NothingToDefer_SetOwnersIsCalledWithAnEmptyList()
    {
        Unpack(new TarBuilder().Dir("a/").File("a/b", "x").Build(), _userns);
        Assert.Empty(Assert.Single(_userns.SetOwnersCalls));
    }

    [MachineFact(Needs.Root)]
    public void OpaqueWhiteout_GetsTheUserXattr_NotTheTrustedOne()
    {
        var tar = new TarBuilder().Dir("var/").File("var/keep", "k").Whiteout("var/.wh..wh..opq").Build();
        var rootless = Unpack(tar, _userns, "rootless");
        Assert.Equal("y", Encoding.ASCII.GetString(Xattr.Get(rootless + "/var", "user.overlay.opaque")!));
        Assert.Null(Xattr.Get(rootless + "/var", "trusted.overlay.opaque"));

        var rootful = Unpack(tar, null, "rootful");
        Assert.Equal("y", Encoding.ASCII.GetString(Xattr.Get(rootful + "/var", "trusted.overlay.opaque")!));
        Assert.Null(Xattr.Get(rootful + "/var", "user.overlay.opaque"));
    }

    [Fact]
    public void Whiteouts_AreCharDevice00_AndNotDeferred()
    {
        var tar = new TarBuilder().Dir("etc/").Whiteout("etc/.wh.motd").Whiteout("gone/.wh.file").Build();
        var root = Unpack(tar, _userns);
        foreach (var wh in new[] { root + "/etc/motd", root + "/gone/file" })
        {
            var st = FileStatus.TryLStat(wh)!.Value;
            Assert.True(st.IsCharDevice);
            Assert.Equal((0u, 0u), (st.RdevMajor, st.RdevMinor));
        }
        Assert.Empty(_userns.SetOwnersCalls.Single());
    }

    [MachineFact(Needs.Root)]
    public void DeviceNodes_AreSkipped_FifosAreKept()
    {
        var tar = new TarBuilder()
            .Device(TarEntryType.CharacterDevice, "dev/null", 1, 3)
            .Device(TarEntryType.BlockDevice, "dev/loop9", 7, 9, 0x1B0)
            .Device(TarEntryType.Fifo, "run/fifo", 0, 0, 0x180)
            .File("after", "still extracted")
            .Build();
        var root = Unpack(tar, _userns, "rootless");
        Assert.Null(FileStatus.TryLStat(root + "/dev/null"));
        Assert.Null(FileStatus.TryLStat(root + "/dev/loop9"));
        Assert.True(FileStatus.TryLStat(root + "/run/fifo")!.Value.IsFifo);
        Assert.Equal("still extracted", File.ReadAllText(root + "/after"));

        var rootful = Unpack(tar, null, "rootful");
        Assert.True(FileStatus.TryLStat(rootful + "/dev/null")!.Value.IsCharDevice);
        Assert.True(FileStatus.TryLStat(rootful + "/dev/loop9")!.Value.IsBlockDevice);
    }

    [MachineFact(Needs.Root)]
    public void ReadOnlyDirectory_ReceivesItsChildren_AndEndsReadOnly_BeforeOwnersAreHandedOver()
    {
        var dirTime = new DateTimeOffset(2003, 4, 5, 6, 7, 8, TimeSpan.Zero);
        var tar = new TarBuilder()
            .Dir("ro/", mode: 0x16D /* 0555 */, uid: 1000, gid: 1000, mtime: dirTime)
            .File("ro/child", "c")
            .Dir("ro/sub/", mode: 0x16D, mtime: dirTime)
            .File("ro/sub/leaf", "l")
            .Whiteout("ro/.wh.hidden")
            .Build();
        int? modeAtHandover = null;
        _userns.OnSetOwners = _ => modeAtHandover = FileStatus.TryLStat(_temp.Path + "/diff/ro")!.Value.Permissions;

        var root = Unpack(tar, _userns);

        Assert.Equal("c", File.ReadAllText(root + "/ro/child"));
        Assert.Equal("l", File.ReadAllText(root + "/ro/sub/leaf"));
        Assert.True(FileStatus.TryLStat(root + "/ro/hidden")!.Value.IsCharDevice);
        Assert.Equal(0x16D, FileStatus.TryLStat(root + "/ro")!.Value.Permissions);
        Assert.Equal(0x16D, FileStatus.TryLStat(root + "/ro/sub")!.Value.Permissions);
        Assert.Equal(dirTime, FileStatus.TryLStat(root + "/ro")!.Value.ModificationTime);
        Assert.Equal(0x16D, modeAtHandover);
        var ro = Assert.Single(_userns.SetOwnersCalls.Single());
        Assert.Equal((root + "/ro", 1000, 1000), (ro.Path, ro.Uid, ro.Gid));
    }

    [MachineFact(Needs.Root)]
    public void RootDirectoryEntry_ModeIsAppliedAtTheEnd()
    {
        var tar = new TarBuilder().Dir("./", mode: 0x16D).File("f", "x").Build();
        var root = Unpack(tar, _userns);
        Assert.Equal(0x16D, FileStatus.TryLStat(root)!.Value.Permissions);
        Assert.Equal("x", File.ReadAllText(root + "/f"));
    }

    [Fact]
    public void PaxOverlayXattrs_CannotBeSmuggledIntoARootlessLayer()
    {
        // A userxattr mount trusts user.overlay.* as a root mount trusts trusted.overlay.*: only the unpacker's own
        // whiteout conversion may set them.
        var pax = new Dictionary<string, string>
        {
            ["SCHILY.xattr.user.overlay.opaque"] = "y",
            ["SCHILY.xattr.user.overlay.redirect"] = "/etc",
            ["SCHILY.xattr.trusted.overlay.opaque"] = "y",
            ["SCHILY.xattr.user.comment"] = "kept",
        };
        var tar = new TarBuilder()
            .Add(new PaxTarEntry(TarEntryType.Directory, "d/", pax) { Mode = (UnixFileMode)0x1ED, ModificationTime = TarBuilder.DefaultTime })
            .Build();
        var root = Unpack(tar, _userns);
        Assert.Null(Xattr.Get(root + "/d", "user.overlay.opaque"));
        Assert.Null(Xattr.Get(root + "/d", "user.overlay.redirect"));
        Assert.Null(Xattr.Get(root + "/d", "trusted.overlay.opaque"));
        Assert.Equal("kept", Encoding.UTF8.GetString(Xattr.Get(root + "/d", "user.comment")!));
    }

    [MachineFact(Needs.Root)]
    public void DiffId_IsTheSameWithAndWithoutUserns()
    {
        var tar = OwnersTar();
        var a = LayerUnpacker.Unpack(new MemoryStream(tar), Directory.CreateDirectory(_temp.Path + "/a").FullName, CancellationToken.None, _userns);
        var b = LayerUnpacker.Unpack(new MemoryStream(tar), Directory.CreateDirectory(_temp.Path + "/b").FullName, CancellationToken.None, null);
        Assert.Equal(a, b);
        Assert.Equal("sha256:" + TarBuilder.Sha256Hex(tar), a.DiffId);
    }
}

public sealed class RootlessUnpackReplacementTests : IDisposable
{
    // A path may appear more than once in a layer tar (tar -r, some image builders); the last entry wins, and
    // what the unpacker deferred for an earlier one must not be applied to what replaced it.
    private readonly TempDir _temp = new("rootless-replace");
    private readonly FakeUserNamespaceFiles _userns = new();

    public void Dispose() => _temp.Dispose();

    private (string Root, List<DeferredOwner> Owners) Unpack(byte[] tar)
    {
        var root = Directory.CreateDirectory(Path.Combine(_temp.Path, "diff")).FullName;
        LayerUnpacker.Unpack(new MemoryStream(tar), root, CancellationToken.None, _userns);
        return (root, _userns.SetOwnersCalls.Single());
    }

    private static string[] Rel(string root, IEnumerable<DeferredOwner> owners) =>
        owners.Select(o => o.Path[(root.Length + 1)..]).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void FileReplacedByARootOwnedOne_KeepsNoDeferredOwner()
    {
        var (root, owners) = Unpack(new TarBuilder().File("a", "old", uid: 1000, gid: 1000).File("a", "new").Build());
        Assert.Equal("new", File.ReadAllText(root + "/a"));
        Assert.Empty(owners);
    }

    [Fact]
    public void FileReplacedByAnotherOwner_IsDeferredOnceWithTheLastOwner()
    {
        var (root, owners) = Unpack(new TarBuilder().File("a", "old", uid: 1000, gid: 1000).File("a", "new", uid: 33, gid: 33).Build());
        var o = Assert.Single(owners);
        Assert.Equal((root + "/a", 33, 33), (o.Path, o.Uid, o.Gid));
    }

    [Fact]
    public void DirectoryReplacedByAFile_ItsDeferredOwnersAndModeAreDropped()
    {
        var tar = new TarBuilder()
            .Dir("d/", mode: 0x16D, uid: 1000, gid: 1000)
            .File("d/f", "f", uid: 1000, gid: 1000)
            .File("d", "now a file", mode: 0x1A4)
            .Build();
        var (root, owners) = Unpack(tar);
        Assert.Equal("now a file", File.ReadAllText(root + "/d"));
        Assert.Equal(0x1A4, FileStatus.TryLStat(root + "/d")!.Value.Permissions);
        Assert.Empty(owners);
    }

    [Fact]
    public void DeferredPathWhitedOutLater_IsDropped()
    {
        var tar = new TarBuilder()
            .Dir("d/", uid: 1000, gid: 1000)
            .File("d/f", "f", uid: 1000, gid: 1000)
            .Whiteout(".wh.d")
            .Build();
        var (root, owners) = Unpack(tar);
        Assert.True(FileStatus.TryLStat(root + "/d")!.Value.IsCharDevice);
        Assert.Empty(owners);
    }

    [Fact]
    public void FileReplacedByAHardLink_DoesNotPassItsOwnerToTheTarget()
    {
        var tar = new TarBuilder()
            .File("target", "t")
            .File("b", "old", uid: 1000, gid: 1000)
            .HardLink("b", "target")
            .Build();
        var (root, owners) = Unpack(tar);
        Assert.Equal("t", File.ReadAllText(root + "/b"));
        Assert.Empty(owners);
    }

    [MachineFact(Needs.Root)]
    public void DirectoryDeclaredTwice_TheLastOwnerAndModeWin()
    {
        var tar = new TarBuilder()
            .Dir("d/", mode: 0x16D, uid: 1000, gid: 1000)
            .Dir("d/", mode: 0x1ED)
            .File("d/f", "f")
            .Build();
        var (root, owners) = Unpack(tar);
        Assert.Equal(0x1ED, FileStatus.TryLStat(root + "/d")!.Value.Permissions);
        Assert.Empty(owners);
        // Without a namespace the same tar ends the same way.
        var rootful = Directory.CreateDirectory(Path.Combine(_temp.Path, "rootful")).FullName;
        LayerUnpacker.Unpack(new MemoryStream(tar), rootful, CancellationToken.None, null);
        Assert.Equal(0x1ED, FileStatus.TryLStat(rootful + "/d")!.Value.Permissions);
        Assert.Equal(0, FileStatus.TryLStat(rootful + "/d")!.Value.Uid);
    }

    [Fact]
    public void Children_KeepTheirDeferredOwners_WhenOnlyASiblingIsReplaced()
    {
        var tar = new TarBuilder()
            .Dir("d/", uid: 1000, gid: 1000)
            .File("d/keep", "k", uid: 1000, gid: 1000)
            .File("d-other", "x", uid: 7, gid: 7)
            .File("d-other", "y")
            .Build();
        var (root, owners) = Unpack(tar);
        Assert.Equal(new[] { "d", "d/keep" }, Rel(root, owners));
    }
}
