using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Layers;

/// <summary>LayerStore given a user namespace (an ordinary user's store): owners and deletions go through it,
/// and its mount table counts as much as the host's.</summary>
public sealed class RootlessLayerStoreTests : IDisposable
{
    private readonly TempDir _temp = new("rootless-store");
    private readonly FakeUserNamespaceFiles _userns = new();
    private readonly LayerStore _store;

    public RootlessLayerStoreTests() => _store = new LayerStore(Path.Combine(_temp.Path, "overlay"), _userns);

    public void Dispose() => _temp.Dispose();

    private LayerInfo Apply(byte[] tar, string? parent = null) => _store.ApplyTar(new MemoryStream(tar), parent);

    private static byte[] OwnedTar(string content = "x") => new TarBuilder()
        .Dir("app/", uid: 1000, gid: 1000)
        .File("app/data", content, uid: 1000, gid: 1000)
        .File("app/root-file", "r")
        .Build();

    [MachineFact(Needs.Root)]
    public void ApplyTar_HandsTheOwnersToTheNamespace_WhileTheirPathsExist()
    {
        var missing = new List<string>();
        _userns.OnSetOwners = entries => missing.AddRange(entries.Where(e => FileStatus.TryLStat(e.Path) is null).Select(e => e.Path));

        var layer = Apply(OwnedTar());

        var call = Assert.Single(_userns.SetOwnersCalls);
        Assert.Equal(new[] { "app", "app/data" }, call.Select(e => e.Path[(e.Path.IndexOf("/diff/", StringComparison.Ordinal) + 6)..]).Order(StringComparer.Ordinal));
        Assert.Empty(missing);
        Assert.All(call, e => Assert.Equal((1000, 1000), (e.Uid, e.Gid)));
        Assert.Equal("x", File.ReadAllText(layer.DiffDir + "/app/data"));
        Assert.True(_store.Exists(layer.Id));
        // The extracting user keeps ownership until the namespace hands it over.
        Assert.Equal(0, FileStatus.TryLStat(layer.DiffDir + "/app/data")!.Value.Uid);
    }

    [MachineFact(Needs.Root)]
    public void ApplyTar_SameIdAsARootfulStore()
    {
        var rootful = new LayerStore(Path.Combine(_temp.Path, "rootful"));
        Assert.Equal(rootful.ApplyTar(new MemoryStream(OwnedTar()), null).Id, Apply(OwnedTar()).Id);
    }

    [Fact]
    public void Delete_RemovesTheLayerThroughTheNamespace()
    {
        var layer = Apply(OwnedTar());
        _userns.Removed.Clear();

        _store.Delete(layer.Id);

        // Each directory of the layer goes through the namespace; the marker, deleted last from the host, does not.
        Assert.Contains(_store.Root + "/" + layer.Id + "/diff", _userns.Removed);
        Assert.All(_userns.Removed, p => Assert.StartsWith(_store.Root + "/" + layer.Id + "/", p));
        Assert.False(_store.Exists(layer.Id));
        Assert.Null(FileStatus.TryLStat(_store.Root + "/" + layer.Id));
        Assert.Null(FileStatus.TryLStat(_store.Root + "/l/" + layer.Link));
    }

    [Fact]
    public void Delete_ContainerLayer_RemovesThroughTheNamespace()
    {
        var image = Apply(OwnedTar());
        var container = _store.CreateContainerLayer("ctr-rootless", new[] { image.Id });
        _userns.Removed.Clear();

        _store.Delete(container.Id);

        Assert.Equal(new[] { "diff", "merged", "work" }.Select(d => _store.Root + "/ctr-rootless/" + d), _userns.Removed.Order());
        Assert.True(_store.Exists(image.Id));
    }

    [Fact]
    public void Delete_RefusesWhileTheNamespaceHasAMountInside()
    {
        var image = Apply(OwnedTar());
        var container = _store.CreateContainerLayer("ctr-mounted", new[] { image.Id });
        // The namespace's table (not the host's) shows an overlay on the container's merged dir.
        var table = Path.Combine(_temp.Path, "mountinfo");
        File.WriteAllText(table,
            "22 1 0:21 / /proc rw,nosuid - proc proc rw\n" +
            $"812 700 0:99 / {_store.Root}/ctr-mounted/merged rw,relatime - overlay overlay rw,lowerdir=l/X,upperdir=u,workdir=w,userxattr\n");
        _userns.MountInfoPath = table;

        var e = Assert.Throws<PodShellException>(() => _store.Delete(container.Id));
        Assert.Equal("LayerInUse", e.ErrorId);
        Assert.True(_store.Exists(container.Id));
        Assert.DoesNotContain(_store.Root + "/ctr-mounted", _userns.Removed);

        // Gone from the namespace's table: the delete goes ahead.
        File.WriteAllText(table, "22 1 0:21 / /proc rw,nosuid - proc proc rw\n");
        _store.Delete(container.Id);
        Assert.False(_store.Exists(container.Id));
    }

    [Fact]
    public void FailedApply_RemovesTheStagingDirThroughTheNamespace()
    {
        var bad = new TarBuilder().File("../escape", "x").Build();
        Assert.Throws<PodShellException>(() => Apply(bad));
        var staging = Assert.Single(_userns.Removed);
        Assert.StartsWith(_store.Root + "/.incomplete-", staging);
        Assert.Equal(new[] { "l" }, Directory.EnumerateFileSystemEntries(_store.Root).Select(Path.GetFileName));
    }

    [Fact]
    public void ApplyingALayerTwice_DiscardsTheSecondCopyThroughTheNamespace()
    {
        var first = Apply(OwnedTar());
        _userns.Removed.Clear();
        var second = Apply(OwnedTar());
        Assert.Equal(first.Id, second.Id);
        Assert.StartsWith(_store.Root + "/.incomplete-", Assert.Single(_userns.Removed));
        Assert.Equal(new[] { "l", first.Id }.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(_store.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RemoveIncomplete_RemovesThroughTheNamespace()
    {
        string dead = _store.Root + "/.incomplete-dead";
        Directory.CreateDirectory(dead + "/diff/sub");
        File.WriteAllText(dead + "/incomplete", "999999999 1\n");

        Assert.Equal(new[] { ".incomplete-dead" }, _store.RemoveIncomplete());
        Assert.Equal(new[] { dead + "/diff" }, _userns.Removed);
        Assert.False(Directory.Exists(dead));
    }

    [MachineFact(Needs.Root)]
    public void ApplyDirectory_DefersTheSourceOwners()
    {
        using var src = new TempDir("rootless-src");
        Directory.CreateDirectory(src.Path + "/srv");
        File.WriteAllText(src.Path + "/srv/f", "f");
        FileOwnership.LChown(src.Path + "/srv/f", 33, 34);

        var layer = _store.ApplyDirectory(src.Path, null);

        var owner = Assert.Single(Assert.Single(_userns.SetOwnersCalls));
        Assert.EndsWith("/diff/srv/f", owner.Path);
        Assert.Equal((33, 34), (owner.Uid, owner.Gid));
        Assert.Equal("f", File.ReadAllText(layer.DiffDir + "/srv/f"));
        Assert.False(File.Exists(_store.Root + "/" + layer.Id + "/layer.tar"));
    }
}
