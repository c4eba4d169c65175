using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Volumes;

/// <summary>The store on a private SQLite file and volume root; no containers run here.</summary>
public sealed class VolumeStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("podshell-xunit-vol-").FullName;
    private readonly StateStore _state;
    private readonly VolumeStore _store;

    public VolumeStoreTests()
    {
        _state = new StateStore(Path.Combine(_root, "podshell.db"));
        _store = new VolumeStore(_state, Path.Combine(_root, "volumes"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private string AddContainer(string name)
    {
        var id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        _state.InsertContainer(new ContainerRecord { Container = new Container { Id = id, Name = name, ImageId = "img", State = ContainerState.Created } });
        return id;
    }

    [Fact]
    public void Create_MakesPodmansLayout_AndRecordsLabels()
    {
        var v = _store.Create("data", new Dictionary<string, string> { ["app"] = "web" });
        Assert.Equal("data", v.Name);
        Assert.Equal("local", v.Driver);
        Assert.Equal(Path.Combine(_root, "volumes", "data", "_data"), v.Mountpoint);
        Assert.True(Directory.Exists(v.Mountpoint));
        Assert.Equal("web", v.Labels["app"]);
        Assert.Empty(v.UsedBy);
        Assert.Null(v.Size);
        Assert.Equal(DateTimeKind.Utc, v.Created.Kind);
        // podman's modes: the volume's own dir is root-only, _data is an ordinary 0755 directory.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            new DirectoryInfo(Path.Combine(_root, "volumes", "data")).UnixFileMode);
        Assert.Equal((UnixFileMode)0b111_101_101, new DirectoryInfo(v.Mountpoint).UnixFileMode);
        // A second store on the same file sees it: the state is in SQLite, not in this object.
        Assert.Equal("web", new VolumeStore(_state, _store.Root).Get("data")!.Labels["app"]);
    }

    [Fact]
    public void Create_Twice_IsVolumeAlreadyExists_AndBadNamesAreRefused()
    {
        _store.Create("twice", null);
        File.WriteAllText(Path.Combine(_store.DataDir("twice"), "keep"), "x");
        var e = Assert.Throws<PodShellException>(() => _store.Create("twice", null));
        Assert.Equal("VolumeAlreadyExists", e.ErrorId);
        Assert.True(File.Exists(Path.Combine(_store.DataDir("twice"), "keep")));
        foreach (var bad in new[] { "", "a b", "../x", ".hidden", "x/y" })
            Assert.Equal("InvalidVolumeName", Assert.Throws<PodShellException>(() => _store.Create(bad, null)).ErrorId);
        Assert.Equal(new[] { "twice" }, _store.List().Select(v => v.Name));
    }

    [Fact]
    public void Remove_DeletesRowAndData_ButNotWhatASymlinkPointsTo()
    {
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "precious"), "keep me");
        var v = _store.Create("gone", null);
        Directory.CreateDirectory(Path.Combine(v.Mountpoint, "sub"));
        File.WriteAllText(Path.Combine(v.Mountpoint, "sub", "f"), "data");
        File.CreateSymbolicLink(Path.Combine(v.Mountpoint, "link"), outside);

        _store.Remove("gone");

        Assert.Null(_store.Get("gone"));
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "gone")));
        Assert.Empty(Directory.GetFileSystemEntries(_store.Root)); // no tombstone left
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, "precious")));
        Assert.Equal("VolumeNotFound", Assert.Throws<PodShellException>(() => _store.Remove("gone")).ErrorId);
    }

    [Fact]
    public void Use_CreatesMissing_RecordsUsers_AndRemoveIsRefusedWhileUsed()
    {
        var a = AddContainer("ctr-a");
        var b = AddContainer("ctr-b");
        _store.Create("shared", null);
        var used = _store.Use(a, new[] { "shared", "fresh" }, createMissing: true);
        _store.Use(b, new[] { "shared" }, createMissing: true);

        Assert.Equal(new[] { "fresh", "shared" }, used.Select(v => v.Name).OrderBy(n => n));
        Assert.Equal(new[] { "ctr-a", "ctr-b" }, _store.Get("shared")!.UsedBy);
        var e = Assert.Throws<PodShellException>(() => _store.Remove("shared"));
        Assert.Equal("VolumeInUse", e.ErrorId);
        Assert.Equal(FailureKind.InvalidState, e.Kind);
        Assert.Contains("ctr-a", e.Message);
        Assert.True(Directory.Exists(_store.DataDir("shared")));

        // A normal removal of the container releases the volume and keeps its data.
        _store.Release(a, dropCreated: false);
        _store.Release(b, dropCreated: false);
        Assert.Empty(_store.Get("shared")!.UsedBy);
        Assert.NotNull(_store.Get("fresh"));
        _store.Remove("shared");
        _store.Remove("fresh");
    }

    [Fact]
    public void Use_WithoutCreateMissing_IsVolumeNotFound_AndRecordsNothing()
    {
        var a = AddContainer("ctr-nf");
        _store.Create("exists", null);
        var e = Assert.Throws<PodShellException>(() => _store.Use(a, new[] { "exists", "missing" }, createMissing: false));
        Assert.Equal("VolumeNotFound", e.ErrorId);
        Assert.Empty(_store.Get("exists")!.UsedBy); // the transaction was rolled back as a whole
        Assert.Null(_store.Get("missing"));
    }

    [Fact]
    public void Release_OfAnUnfinishedCreate_DropsOnlyTheVolumesItCreatedAndNobodyUses()
    {
        var a = AddContainer("ctr-fail");
        var b = AddContainer("ctr-other");
        _store.Create("preexisting", null);
        _store.Use(a, new[] { "preexisting", "mine", "sharedlater" }, createMissing: true);
        _store.Use(b, new[] { "sharedlater" }, createMissing: true);

        var dropped = _store.Release(a, dropCreated: true);

        Assert.Equal(new[] { "mine" }, dropped);
        Assert.Null(_store.Get("mine"));
        Assert.False(Directory.Exists(Path.Combine(_store.Root, "mine")));
        Assert.NotNull(_store.Get("preexisting"));
        Assert.Equal(new[] { "ctr-other" }, _store.Get("sharedlater")!.UsedBy);
    }

    [Fact]
    public void UsersWhoseContainerRecordIsGone_DoNotBlockRemoval()
    {
        var a = AddContainer("ctr-vanished");
        _store.Use(a, new[] { "orphaned" }, createMissing: true);
        _state.DeleteContainer(a); // as a crash between the record's deletion and the release would leave it
        Assert.Empty(_store.Get("orphaned")!.UsedBy);
        _store.Remove("orphaned");
        Assert.Null(_store.Get("orphaned"));
    }

    [Fact]
    public void MeasureSize_CountsFilesAndNotSymlinkTargets()
    {
        var v = _store.Create("sized", null);
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "a"), new byte[1000]);
        Directory.CreateDirectory(Path.Combine(v.Mountpoint, "d"));
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "d", "b"), new byte[24]);
        var big = Path.Combine(_root, "big");
        File.WriteAllBytes(big, new byte[100_000]);
        File.CreateSymbolicLink(Path.Combine(v.Mountpoint, "l"), big);
        File.CreateSymbolicLink(Path.Combine(v.Mountpoint, "ld"), _root);
        Assert.Equal(1024, VolumeStore.MeasureSize(v.Mountpoint));
    }
}
