using System.Formats.Tar;
using System.Text;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Layers;

public sealed class LayerStoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly LayerStore _store;

    public LayerStoreTests() => _store = new LayerStore(Path.Combine(_temp.Path, "overlay"));

    public void Dispose() => _temp.Dispose();

    private LayerInfo Apply(byte[] tar, string? parent = null) => _store.ApplyTar(new MemoryStream(tar), parent);

    private void AssertOnlyLinkDirLeft()
        => Assert.Equal(new[] { "l" }, Directory.EnumerateFileSystemEntries(_store.Root).Select(Path.GetFileName));

    [Fact]
    public void Constructor_CreatesRootAndLinkDir()
    {
        Assert.True(Directory.Exists(Path.Combine(_store.Root, "l")));
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_RestoresFilesOwnershipModesAndTimes()
    {
        var dirTime = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var fileTime = new DateTimeOffset(2011, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var tar = new TarBuilder()
            .Dir("usr/", mtime: dirTime)
            .Dir("usr/bin/", mode: 0x1ED, uid: 10, gid: 20, mtime: dirTime)
            .File("usr/bin/su", "suid", mode: 0x9ED /* 04755 */, uid: 1000, gid: 2000, mtime: fileTime)
            .Dir("tmp/", mode: 0x3FF /* 01777 */)
            .File("deep/missing/parent.txt", "x")
            .Build();

        var layer = Apply(tar);

        string su = layer.DiffDir + "/usr/bin/su";
        Assert.Equal("suid", File.ReadAllText(su));
        var st = FileStatus.TryLStat(su)!.Value;
        Assert.Equal(1000, st.Uid);
        Assert.Equal(2000, st.Gid);
        Assert.Equal(0x9ED, st.Permissions);
        Assert.Equal(fileTime, st.ModificationTime);

        var bin = FileStatus.TryLStat(layer.DiffDir + "/usr/bin")!.Value;
        Assert.Equal((10, 20), (bin.Uid, bin.Gid));
        // Set after the child was created, so the tar's value survives.
        Assert.Equal(dirTime, bin.ModificationTime);
        Assert.Equal(dirTime, FileStatus.TryLStat(layer.DiffDir + "/usr")!.Value.ModificationTime);
        Assert.Equal(0x3FF, FileStatus.TryLStat(layer.DiffDir + "/tmp")!.Value.Permissions);
        // Parents missing from the tar are created 0755.
        Assert.Equal(0x1ED, FileStatus.TryLStat(layer.DiffDir + "/deep/missing")!.Value.Permissions);
        Assert.Equal("x", File.ReadAllText(layer.DiffDir + "/deep/missing/parent.txt"));
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_RootEntryAndPaxXattrs()
    {
        var pax = new Dictionary<string, string>
        {
            ["SCHILY.xattr.user.note"] = "hello",
            // Only whiteout conversion may set overlay's own xattrs.
            ["SCHILY.xattr.trusted.overlay.opaque"] = "y",
        };
        var layer = Apply(new TarBuilder().Dir("./", mode: 0x1C0 /* 0700 */).File("f", "x", pax: pax).Build());
        Assert.Equal(0x1C0, FileStatus.TryLStat(layer.DiffDir)!.Value.Permissions);
        Assert.Equal("hello", Encoding.UTF8.GetString(Xattr.Get(layer.DiffDir + "/f", "user.note")!));
        Assert.Null(Xattr.Get(layer.DiffDir + "/f", "trusted.overlay.opaque"));
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_AbsoluteSymlinkStaysASymlink()
    {
        var layer = Apply(new TarBuilder().Dir("bin/").File("bin/busybox", "bb", 0x1ED).Symlink("bin/sh", "/bin/busybox").Build());
        var st = FileStatus.TryLStat(layer.DiffDir + "/bin/sh")!.Value;
        Assert.True(st.IsSymlink);
        Assert.Equal("/bin/busybox", new FileInfo(layer.DiffDir + "/bin/sh").LinkTarget);
        Assert.Equal(TarBuilder.DefaultTime, st.ModificationTime);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_HardLinkSharesInode()
    {
        var layer = Apply(new TarBuilder().File("a", "same").HardLink("b", "a").HardLink("./c", "./a").Build());
        var a = FileStatus.TryLStat(layer.DiffDir + "/a")!.Value;
        var b = FileStatus.TryLStat(layer.DiffDir + "/b")!.Value;
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(a.Inode, FileStatus.TryLStat(layer.DiffDir + "/c")!.Value.Inode);
        Assert.Equal(3u, b.LinkCount);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_DevicesAndFifos()
    {
        var layer = Apply(new TarBuilder()
            .Device(TarEntryType.CharacterDevice, "dev/null", 1, 3)
            .Device(TarEntryType.BlockDevice, "dev/loop9", 7, 9, 0x1B0)
            .Device(TarEntryType.Fifo, "run/fifo", 0, 0, 0x180)
            .Build());
        var chr = FileStatus.TryLStat(layer.DiffDir + "/dev/null")!.Value;
        Assert.True(chr.IsCharDevice);
        Assert.Equal((1u, 3u), (chr.RdevMajor, chr.RdevMinor));
        Assert.Equal(0x1B6, chr.Permissions);
        var blk = FileStatus.TryLStat(layer.DiffDir + "/dev/loop9")!.Value;
        Assert.True(blk.IsBlockDevice);
        Assert.Equal((7u, 9u), (blk.RdevMajor, blk.RdevMinor));
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/run/fifo")!.Value.IsFifo);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_ConvertsWhiteoutsToOverlayFormat()
    {
        var layer = Apply(new TarBuilder()
            .Dir("etc/")
            .Whiteout("etc/.wh.passwd")
            .Dir("var/")
            .Whiteout("var/.wh..wh..opq")
            .Whiteout(".wh.opt")
            .Whiteout("opt/.wh.nested") // below a whited-out dir: ENOTDIR, ignored
            .Build());

        var wh = FileStatus.TryLStat(layer.DiffDir + "/etc/passwd")!.Value;
        Assert.True(wh.IsCharDevice);
        Assert.Equal((0u, 0u), (wh.RdevMajor, wh.RdevMinor));
        Assert.False(File.Exists(layer.DiffDir + "/etc/.wh.passwd"));
        Assert.Equal("y", Encoding.ASCII.GetString(Xattr.Get(layer.DiffDir + "/var", "trusted.overlay.opaque")!));
        Assert.Null(FileStatus.TryLStat(layer.DiffDir + "/var/.wh..wh..opq"));
        Assert.Null(Xattr.Get(layer.DiffDir + "/etc", "trusted.overlay.opaque"));
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/opt")!.Value.IsCharDevice);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_WhiteoutDoesNotFollowSymlinkOut()
    {
        using var outside = new TempDir("outside");
        File.WriteAllText(outside.Path + "/keep", "keep");
        var layer = Apply(new TarBuilder().Symlink("x", outside.Path).Whiteout("x/.wh.keep").Build());
        Assert.Equal("keep", File.ReadAllText(outside.Path + "/keep"));
        Assert.True(FileStatus.TryLStat(layer.DiffDir + outside.Path + "/keep")!.Value.IsCharDevice);
    }

    [MachineTheory(Needs.Root)]
    [InlineData("../evil")]
    [InlineData("/abs")]
    [InlineData("a/../../evil")]
    public void ApplyTar_RejectsEscapingNamesAndLeavesNothing(string name)
    {
        var tar = new TarBuilder().File("ok", "fine").File(name, "bad").Build();
        var e = Assert.Throws<PodShellException>(() => Apply(tar));
        Assert.Equal("InvalidLayerEntry", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Contains(name, e.Message);
        AssertOnlyLinkDirLeft();
        Assert.False(File.Exists(Path.Combine(_temp.Path, "evil")));
        Assert.False(File.Exists("/abs"));
    }

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public void ApplyTar_RejectsHardLinkOutsideRoot(string target)
    {
        var e = Assert.Throws<PodShellException>(() => Apply(new TarBuilder().HardLink("pw", target).Build()));
        Assert.Equal("InvalidLayerEntry", e.ErrorId);
        Assert.Contains("pw", e.Message);
        AssertOnlyLinkDirLeft();
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_RejectsRelativeSymlinkClimbingOutOfRoot()
    {
        var e = Assert.Throws<PodShellException>(() => Apply(new TarBuilder().Symlink("a/b", "../../etc").Build()));
        Assert.Equal("InvalidLayerEntry", e.ErrorId);
        AssertOnlyLinkDirLeft();
        // One level up from a/ is still the root.
        var ok = Apply(new TarBuilder().Symlink("a/b", "../etc").Build());
        Assert.Equal("../etc", new FileInfo(ok.DiffDir + "/a/b").LinkTarget);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_SymlinkThenWriteThroughStaysInsideRoot()
    {
        using var outside = new TempDir("outside");
        var tar = new TarBuilder()
            .Symlink("x", outside.Path)
            .File("x/pwned", "owned")
            .Symlink("y", "/")
            .File("y" + outside.Path + "/pwned2", "owned")
            .Build();

        var layer = Apply(tar);

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/x")!.Value.IsSymlink);
        // Resolved as chroot would: the link's target taken inside the layer.
        Assert.Equal("owned", File.ReadAllText(layer.DiffDir + outside.Path + "/pwned"));
        Assert.Equal("owned", File.ReadAllText(layer.DiffDir + outside.Path + "/pwned2"));
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_FileReplacingSymlinkDoesNotWriteThroughIt()
    {
        using var outside = new TempDir("outside");
        File.WriteAllText(outside.Path + "/target", "original");
        var layer = Apply(new TarBuilder().Symlink("f", outside.Path + "/target").File("f", "new").Build());
        Assert.Equal("original", File.ReadAllText(outside.Path + "/target"));
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/f")!.Value.IsRegularFile);
    }

    [MachineFact(Needs.Root)]
    public void DiffId_IsSha256OfTheTarBytesIncludingPadding()
    {
        byte[] tar = new TarBuilder().File("a", "hello").Build(extraPadding: 8192);
        var layer = Apply(tar);
        Assert.Equal("sha256:" + TarBuilder.Sha256Hex(tar), layer.DiffId);
        Assert.Equal(TarBuilder.Sha256Hex(tar), layer.Id);
        // Size is the tar through its end-of-archive marker; the producer's padding after it is no content.
        Assert.Equal(tar.Length - 8192, layer.Size);
    }

    [MachineFact(Needs.Root)]
    public void DiffId_OfGzipLayerIsOfUncompressedBytes()
    {
        byte[] tar = new TarBuilder().File("a", "hello gzip").Build();
        var layer = Apply(TarBuilder.Gzip(tar));
        Assert.Equal("sha256:" + TarBuilder.Sha256Hex(tar), layer.DiffId);
        Assert.Equal(tar.Length, layer.Size);
        Assert.Equal("hello gzip", File.ReadAllText(layer.DiffDir + "/a"));
    }

    [Fact]
    public void ApplyTar_BrokenZstdFrameIsInvalidLayerTarAndLeavesNothing()
    {
        // zstd layers are supported; a frame that is only a magic number is damage, not a layer.
        var zstd = new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 };
        var e = Assert.Throws<PodShellException>(() => Apply(zstd));
        Assert.Equal("InvalidLayerTar", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        AssertOnlyLinkDirLeft();
    }

    [Fact]
    public void ApplyTar_CorruptTarIsInvalidLayerTar()
    {
        var garbage = Encoding.ASCII.GetBytes(new string('z', 1024));
        var e = Assert.Throws<PodShellException>(() => Apply(garbage));
        Assert.Equal("InvalidLayerTar", e.ErrorId);
        AssertOnlyLinkDirLeft();
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_CancelledHalfWayRemovesTempDir()
    {
        var builder = new TarBuilder();
        for (int i = 0; i < 50; i++) builder.File($"f{i}", new string('a', 4000));
        byte[] tar = builder.Build();
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(
            () => _store.ApplyTar(new CancelAfterReadsStream(new MemoryStream(tar), cts, 20), null, cts.Token));
        AssertOnlyLinkDirLeft();
    }

    [MachineFact(Needs.Root)]
    public void ChainIds_LowerFilesAndLinks()
    {
        byte[] t0 = new TarBuilder().File("base", "0").Build();
        byte[] t1 = new TarBuilder().File("one", "1").Build();
        byte[] t2 = new TarBuilder().File("two", "2").Build();
        var l0 = Apply(t0);
        var l1 = Apply(t1, l0.Id);
        var l2 = Apply(t2, l1.Id);

        string chain1 = TarBuilder.Sha256Hex(Encoding.ASCII.GetBytes($"sha256:{l0.Id} sha256:{TarBuilder.Sha256Hex(t1)}"));
        string chain2 = TarBuilder.Sha256Hex(Encoding.ASCII.GetBytes($"sha256:{chain1} sha256:{TarBuilder.Sha256Hex(t2)}"));
        Assert.Equal(chain1, l1.Id);
        Assert.Equal(chain2, l2.Id);
        Assert.Equal("sha256:" + TarBuilder.Sha256Hex(t2), l2.DiffId);

        foreach (var l in new[] { l0, l1, l2 })
        {
            Assert.Matches("^[A-Z2-7]{26}$", l.Link);
            Assert.Equal(l.Link, File.ReadAllText($"{_store.Root}/{l.Id}/link"));
            Assert.Equal($"{_store.Root}/l/{l.Link}", _store.LinkPath(l.Id));
            Assert.Equal($"../{l.Id}/diff", new FileInfo(_store.LinkPath(l.Id)).LinkTarget);
            Assert.Equal(l.DiffDir, FileStatus.RealPath(_store.LinkPath(l.Id)));
        }
        Assert.False(File.Exists($"{_store.Root}/{l0.Id}/lower"));
        Assert.True(Directory.Exists($"{_store.Root}/{l0.Id}/empty"));
        Assert.Equal($"l/{l0.Link}", File.ReadAllText($"{_store.Root}/{l1.Id}/lower"));
        Assert.Equal($"l/{l1.Link}:l/{l0.Link}", File.ReadAllText($"{_store.Root}/{l2.Id}/lower"));
        Assert.True(Directory.Exists($"{_store.Root}/{l2.Id}/work"));
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_SameLayerTwiceIsDeduplicated()
    {
        byte[] tar = new TarBuilder().File("a", "dup").Build();
        var first = Apply(tar);
        var second = Apply(tar);
        Assert.Equal(first, second);
        Assert.Equal(2, Directory.EnumerateFileSystemEntries(_store.Root).Count()); // l and the layer
        Assert.Single(Directory.EnumerateFileSystemEntries(_store.Root + "/l"));
    }

    [Fact]
    public void ApplyTar_UnknownParentIsLayerNotFound()
    {
        var e = Assert.Throws<PodShellException>(() => Apply(new TarBuilder().File("a", "a").Build(), new string('0', 64)));
        Assert.Equal("LayerNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
    }

    [Fact]
    public void Get_MissingLayerThrowsNotFound_ExistsFalse()
    {
        var e = Assert.Throws<PodShellException>(() => _store.Get(new string('a', 64)));
        Assert.Equal("LayerNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.False(_store.Exists(new string('a', 64)));
        Assert.False(_store.Exists("../etc"));
        Assert.False(_store.Exists("l"));
    }

    [MachineFact(Needs.Root)]
    public void CreateContainerLayer_WritesLowerTopFirst()
    {
        var l0 = Apply(new TarBuilder().File("base", "0").Build());
        var l1 = Apply(new TarBuilder().File("one", "1").Build(), l0.Id);
        string id = new string('c', 64);

        var c = _store.CreateContainerLayer(id, new[] { l1.Id, l0.Id });

        Assert.Equal(id, c.Id);
        Assert.Equal("", c.DiffId);
        Assert.Equal(0, c.Size);
        Assert.Equal($"{_store.Root}/{id}/diff", c.DiffDir);
        Assert.Equal($"l/{l1.Link}:l/{l0.Link}", File.ReadAllText($"{_store.Root}/{id}/lower"));
        Assert.True(Directory.Exists($"{_store.Root}/{id}/work"));
        Assert.True(Directory.Exists($"{_store.Root}/{id}/merged"));
        Assert.True(_store.Exists(id));
        Assert.Equal(c, _store.Get(id));
        Assert.Equal("AlreadyExists", Assert.Throws<PodShellException>(() => _store.CreateContainerLayer(id, new[] { l0.Id })).Kind.ToString());
        Assert.Equal("LayerNotFound", Assert.Throws<PodShellException>(() => _store.CreateContainerLayer(new string('d', 64), new[] { "nope" })).ErrorId);
        Assert.False(Directory.Exists($"{_store.Root}/{new string('d', 64)}"));
    }

    [MachineFact(Needs.Root)]
    public void Delete_RemovesLayerAndLink_IsIdempotent_AndDoesNotFollowSymlinks()
    {
        using var outside = new TempDir("outside");
        File.WriteAllText(outside.Path + "/precious", "keep");
        var layer = Apply(new TarBuilder().Symlink("out", outside.Path).Symlink("outfile", outside.Path + "/precious").Build());
        string link = _store.LinkPath(layer.Id);

        _store.Delete(layer.Id);

        Assert.False(_store.Exists(layer.Id));
        Assert.False(Directory.Exists($"{_store.Root}/{layer.Id}"));
        Assert.Null(FileStatus.TryLStat(link));
        Assert.Equal("keep", File.ReadAllText(outside.Path + "/precious"));
        _store.Delete(layer.Id);
        Assert.Equal("InvalidLayerId", Assert.Throws<PodShellException>(() => _store.Delete("../x")).ErrorId);
    }

    [MachineFact(Needs.Root)]
    public void RemoveIncomplete_RemovesDeadOwnersOnly()
    {
        string dead = _store.Root + "/.incomplete-dead";
        Directory.CreateDirectory(dead + "/diff/sub");
        // Our pid with another start time: the pid was reused, so the owner is gone.
        ulong myStart = ProcessIdentity.StartTime(Environment.ProcessId)!.Value;
        File.WriteAllText(dead + "/incomplete", $"{Environment.ProcessId} {myStart + 1}\n");

        string live = _store.Root + "/.incomplete-live";
        Directory.CreateDirectory(live + "/diff");
        File.WriteAllText(live + "/incomplete", $"{Environment.ProcessId} {myStart}\n");

        // A layer renamed into place but never finished (crash between rename and marker removal).
        var layer = Apply(new TarBuilder().File("a", "a").Build());
        File.WriteAllText($"{_store.Root}/{layer.Id}/incomplete", "999999999 1\n");
        Assert.False(_store.Exists(layer.Id));
        string link = _store.Root + "/l/" + layer.Link;

        var removed = _store.RemoveIncomplete();

        Assert.Equal(new[] { ".incomplete-dead", layer.Id }.Order(), removed.Order());
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
        Assert.False(Directory.Exists($"{_store.Root}/{layer.Id}"));
        Assert.Null(FileStatus.TryLStat(link));
        Assert.Empty(_store.RemoveIncomplete());
    }

    [MachineFact(Needs.Root)]
    public void MarkRemoving_HidesTheLayer_AndASweepAfterTheOwnerDiedFinishesItRowFirst()
    {
        var layer = Apply(new TarBuilder().File("a", "a").File("b/c", "c").Build());
        string dir = $"{_store.Root}/{layer.Id}";

        Assert.True(_store.MarkRemoving(layer.Id));
        Assert.False(_store.Exists(layer.Id));
        Assert.Equal("LayerNotFound", Assert.Throws<PodShellException>(() => _store.LinkPath(layer.Id)).ErrorId);
        // This process owns the mark: a sweep leaves it.
        Assert.Empty(_store.RemoveIncomplete(_ => Assert.Fail("row dropped under a live owner"), out int pending));
        Assert.Equal(1, pending);

        // Killed in the middle of the delete: part of the tree gone, the marker (deleted last) still there.
        File.WriteAllText(dir + "/incomplete", "999999999 1\n");
        RawFiles.RemoveTree(dir + "/diff/b");
        var rows = new List<string>();
        var removed = _store.RemoveIncomplete(id => { rows.Add(id); Assert.True(Directory.Exists(dir), "row dropped after its dir"); }, out pending);

        Assert.Equal(new[] { layer.Id }, removed);
        Assert.Equal(new[] { layer.Id }, rows);
        Assert.Equal(0, pending);
        Assert.False(Directory.Exists(dir));
        Assert.Null(FileStatus.TryLStat($"{_store.Root}/l/{layer.Link}"));
        Assert.False(_store.MarkRemoving(layer.Id));
    }

    [Fact]
    public void RemoveIncomplete_TakesAZombieOwnerForDead()
    {
        // A killed importer stays a zombie until its parent reaps it; its /proc entry keeps its start time.
        // `sleep 1 &` then `exec sleep`: the background child ends after the shell became `sleep 30`, which never
        // reaps it. (With `sleep 0` the child could end while the shell still ran, and dash reaped it: flaky.)
        var psi = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "sleep 1 & echo $!; exec sleep 30" }) psi.ArgumentList.Add(a);
        using var parent = System.Diagnostics.Process.Start(psi)!;
        try
        {
            int zombie = int.Parse(parent.StandardOutput.ReadLine()!);
            for (int i = 0; i < 500 && !File.ReadAllText($"/proc/{zombie}/stat").Contains(") Z "); i++) Thread.Sleep(10);
            Assert.Contains(") Z ", File.ReadAllText($"/proc/{zombie}/stat"));
            string dir = _store.Root + "/.incomplete-zombie";
            Directory.CreateDirectory(dir + "/diff");
            File.WriteAllText(dir + "/incomplete", $"{zombie} {ProcessIdentity.StartTime(zombie)}\n");

            Assert.Equal(new[] { ".incomplete-zombie" }, _store.RemoveIncomplete());
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit();
        }
    }

    [Fact]
    public void RemoveIncomplete_LeavesAFreshUnmarkedStagingDir_AndTakesAnOldOne()
    {
        // The owner writes its marker just after creating the directory: a fresh one without it may be live.
        string fresh = _store.Root + "/.incomplete-fresh";
        Directory.CreateDirectory(fresh);
        string old = _store.Root + "/.incomplete-old";
        Directory.CreateDirectory(old + "/diff");
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddMinutes(-5));

        Assert.Equal(new[] { ".incomplete-old" }, _store.RemoveIncomplete());
        Assert.True(Directory.Exists(fresh));
        Assert.Equal(new[] { fresh }, _store.IncompleteDirectories());
    }

    [MachineFact(Needs.Root)]
    public void ApplyDirectory_KeepsMetadataAndIsDeterministic()
    {
        using var src = new TempDir("rootfs");
        Directory.CreateDirectory(src.Path + "/bin");
        File.WriteAllText(src.Path + "/bin/busybox", "#!bb");
        FileOwnership.LChown(src.Path + "/bin/busybox", 1000, 1001);
        FileOwnership.Chmod(src.Path + "/bin/busybox", 0x9ED); // 04755
        File.CreateSymbolicLink(src.Path + "/bin/sh", "/bin/busybox");
        FileNodes.Link(src.Path + "/bin/busybox", src.Path + "/bin/ls");
        FileNodes.Mknod(src.Path + "/bin/null", FileNodes.S_IFCHR | 0x1B6, 1, 3);
        FileNodes.Mknod(src.Path + "/bin/fifo", FileNodes.S_IFIFO | 0x180, 0, 0);
        var time = new DateTimeOffset(2015, 5, 5, 5, 5, 5, TimeSpan.Zero);
        FileTimes.SetNoFollow(src.Path + "/bin/busybox", time, time);
        FileTimes.SetNoFollow(src.Path + "/bin", time, time);

        var layer = _store.ApplyDirectory(src.Path, null);

        var bb = FileStatus.TryLStat(layer.DiffDir + "/bin/busybox")!.Value;
        Assert.Equal((1000, 1001, 0x9ED), (bb.Uid, bb.Gid, bb.Permissions));
        Assert.Equal(time, bb.ModificationTime);
        Assert.Equal(time, FileStatus.TryLStat(layer.DiffDir + "/bin")!.Value.ModificationTime);
        Assert.Equal(bb.Inode, FileStatus.TryLStat(layer.DiffDir + "/bin/ls")!.Value.Inode);
        Assert.Equal("/bin/busybox", new FileInfo(layer.DiffDir + "/bin/sh").LinkTarget);
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/bin/null")!.Value.IsCharDevice);
        Assert.True(FileStatus.TryLStat(layer.DiffDir + "/bin/fifo")!.Value.IsFifo);
        Assert.StartsWith("sha256:", layer.DiffId);
        Assert.Equal(layer.DiffId[7..], layer.Id);
        Assert.True(layer.Size > 0);
        Assert.False(File.Exists($"{_store.Root}/{layer.Id}/layer.tar"));

        // Same tree, same bytes: the second import is the same layer.
        Assert.Equal(layer, _store.ApplyDirectory(src.Path, null));
        // And the tree re-imported from the layer's diff gives the same DiffId.
        using var other = new LayerStoreScope(_temp.Path + "/other");
        Assert.Equal(layer.DiffId, other.Store.ApplyDirectory(layer.DiffDir, null).DiffId);
    }

    private sealed class LayerStoreScope(string root) : IDisposable
    {
        public LayerStore Store { get; } = new(root);
        public void Dispose() => Directory.Delete(root, recursive: true);
    }
}
