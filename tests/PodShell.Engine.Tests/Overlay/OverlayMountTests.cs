using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Overlay;

public sealed class OverlayMountTests : IDisposable
{
    private readonly TempDir _temp = new("overlay");

    public void Dispose() => _temp.Dispose();

    [MachineFact(Needs.Root)]
    public void RealOverlay_TwoLayersAndContainerLayer()
    {
        var store = new LayerStore(_temp.Path + "/overlay");
        var l0 = store.ApplyTar(new MemoryStream(new TarBuilder()
            .Dir("etc/").File("etc/os-release", "base").File("etc/hostname", "h0").File("etc/remove-me", "x").Build()), null);
        var l1 = store.ApplyTar(new MemoryStream(new TarBuilder()
            .Dir("etc/").File("etc/hostname", "h1").Whiteout("etc/.wh.os-release").Build()), l0.Id);
        string cid = new string('e', 64);
        var c = store.CreateContainerLayer(cid, new[] { l1.Id, l0.Id });
        string layerDir = $"{store.Root}/{cid}";
        string merged = layerDir + "/merged";

        try
        {
            OverlayMount.Mount(new[] { store.LinkPath(l1.Id), store.LinkPath(l0.Id) }, c.DiffDir, layerDir + "/work", merged);
            Assert.True(OverlayMount.IsMounted(merged));

            // Upper layer wins, whiteout hides, lower shows through.
            Assert.Equal("h1", File.ReadAllText(merged + "/etc/hostname"));
            Assert.False(File.Exists(merged + "/etc/os-release"));
            Assert.Equal("x", File.ReadAllText(merged + "/etc/remove-me"));

            File.WriteAllText(merged + "/etc/new", "written");
            File.Delete(merged + "/etc/remove-me");
            Assert.Equal("written", File.ReadAllText(c.DiffDir + "/etc/new"));
            var wh = FileStatus.TryLStat(c.DiffDir + "/etc/remove-me")!.Value;
            Assert.True(wh.IsCharDevice);
            Assert.Equal((0u, 0u), (wh.RdevMajor, wh.RdevMinor));
            Assert.Equal("x", File.ReadAllText(l0.DiffDir + "/etc/remove-me"));

            var info = OverlayMount.Find(merged);
            Assert.NotNull(info);
            Assert.Equal(merged, info!.Target);
            Assert.Equal(new[] { l1.DiffDir, l0.DiffDir }, info.LowerDirs);
            Assert.Equal(c.DiffDir, info.UpperDir);
            Assert.Equal(layerDir + "/work", info.WorkDir);
            Assert.Contains("lowerdir=" + store.LinkPath(l1.Id), info.Options);

            var busy = Assert.Throws<PodShellException>(() => store.Delete(cid));
            Assert.Equal("LayerInUse", busy.ErrorId);
            Assert.Equal("written", File.ReadAllText(c.DiffDir + "/etc/new"));
        }
        finally
        {
            OverlayMount.Unmount(merged);
        }

        Assert.False(OverlayMount.IsMounted(merged));
        Assert.Null(OverlayMount.Find(merged));
        OverlayMount.Unmount(merged); // idempotent
        store.Delete(cid);
        Assert.False(Directory.Exists(layerDir));
    }

    [MachineFact(Needs.Root)]
    public void Mount_MissingLowerIsOverlayMountFailed()
    {
        foreach (var d in new[] { "upper", "work", "merged" }) Directory.CreateDirectory($"{_temp.Path}/{d}");
        try
        {
            var e = Assert.Throws<PodShellException>(() => OverlayMount.Mount(new[] { _temp.Path + "/nope" },
                _temp.Path + "/upper", _temp.Path + "/work", _temp.Path + "/merged"));
            Assert.Equal("OverlayMountFailed", e.ErrorId);
            Assert.Contains("No such file", e.Message);
        }
        finally
        {
            OverlayMount.Unmount(_temp.Path + "/merged");
        }
        Assert.False(OverlayMount.IsMounted(_temp.Path + "/merged"));
    }

    [Fact]
    public void Mount_OptionsBeyondAPageAreTooManyLayers()
    {
        var lowers = Enumerable.Range(0, 200).Select(i => $"{_temp.Path}/some/rather/long/lower/dir/{i:D4}").ToArray();
        var e = Assert.Throws<PodShellException>(() => OverlayMount.Mount(lowers, _temp.Path + "/u", _temp.Path + "/w", _temp.Path + "/m"));
        Assert.Equal("TooManyLayers", e.ErrorId);
        Assert.False(Directory.Exists(_temp.Path + "/m"));
    }

    [Theory]
    [InlineData("/a,b")]
    [InlineData("/a:b")]
    [InlineData("")]
    public void Mount_RejectsSeparatorsInPaths(string lower)
    {
        var e = Assert.Throws<PodShellException>(() => OverlayMount.Mount(new[] { lower }, _temp.Path + "/u", _temp.Path + "/w", _temp.Path + "/m"));
        Assert.Equal("OverlayMountFailed", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Unmount_NotMountedIsNoOp()
    {
        OverlayMount.Unmount(_temp.Path);
        OverlayMount.Unmount(_temp.Path + "/does-not-exist");
        Assert.False(OverlayMount.IsMounted(_temp.Path));
    }

    [Fact]
    public void Find_ParsesEscapesAndResolvesLinks()
    {
        Directory.CreateDirectory(_temp.Path + "/real dir");
        File.CreateSymbolicLink(_temp.Path + "/lnk", "real dir");
        string esc = _temp.Path.Replace(" ", "\\040");
        string target = _temp.Path + "/my merged";
        string mountInfo = _temp.Path + "/mountinfo";
        File.WriteAllLines(mountInfo, new[]
        {
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            $"50 27 0:40 / {esc}/my\\040merged rw,relatime shared:5 - tmpfs tmpfs rw",
            $"51 50 0:41 / {esc}/my\\040merged rw,relatime shared:6 master:1 - overlay overlay rw,lowerdir={esc}/lnk:{esc}/real\\040dir::{esc}/data,upperdir={esc}/up,workdir={esc}/wk,uuid=on",
            $"52 27 0:42 / {esc}/other rw - overlay overlay rw,lowerdir=/x,upperdir=/y,workdir=/z",
        });

        var info = OverlayMount.Find(target, mountInfo);

        Assert.NotNull(info);
        Assert.Equal(target, info!.Target);
        Assert.Equal(new[] { _temp.Path + "/real dir", _temp.Path + "/real dir", _temp.Path + "/data" }, info.LowerDirs);
        Assert.Equal(_temp.Path + "/up", info.UpperDir);
        Assert.Equal(_temp.Path + "/wk", info.WorkDir);
        Assert.EndsWith("uuid=on", info.Options);
        Assert.Null(OverlayMount.Find(_temp.Path + "/absent", mountInfo));
    }
}
