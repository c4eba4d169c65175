using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>Issue 15: what a pwsh killed by SIGKILL leaves in the layer and blob stores is gone after the next engine
/// call: a new process's first call, or Get-Container in a process whose engine opened the store long before. Each
/// test plants the state a kill at one point leaves (deterministically) and makes that one call.</summary>
public sealed class StoreSweepTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;
    private string Overlay => Engine.Layers.Root;
    private string BlobTmp => Path.Combine(Engine.Blobs.Root, "tmp");

    public StoreSweepTests(EngineFixture fx) => _fx = fx;

    /// <summary>The pid of a process that has exited and been reaped.</summary>
    private static int DeadPid()
    {
        using var p = System.Diagnostics.Process.Start("true")!;
        p.WaitForExit();
        return p.Id;
    }

    /// <summary>What a create, commit or import killed while building its layer leaves: a staging dir whose marker
    /// names a dead owner, with part of a tree in it.</summary>
    private string PlantStaging()
    {
        string dir = Path.Combine(Overlay, ".incomplete-" + Guid.NewGuid().ToString("N")[..16]);
        Directory.CreateDirectory(dir + "/diff/usr/bin");
        File.WriteAllText(dir + "/diff/usr/bin/half", "x");
        File.WriteAllText(dir + "/incomplete", $"{DeadPid()} 1\n");
        return dir;
    }

    private ContainerImage NewImage(string name)
    {
        var rootfs = Path.Combine(_fx.Root, name + "-rootfs");
        EngineFixture.BuildBusybox(rootfs);
        File.WriteAllText(Path.Combine(rootfs, "etc", "own-layer"), Guid.NewGuid().ToString());
        return Engine.ImportImage(rootfs, name + ":v1");
    }

    [MachineFact(Needs.Root)]
    public void NewEngine_RemovesAStagingDirOfAKilledProcess()
    {
        string staging = PlantStaging();

        _ = new ContainerEngine(Engine.Options); // what the next pwsh does first

        Assert.False(Directory.Exists(staging), "the staging dir of the killed process is still there");
    }

    [MachineFact(Needs.Root)]
    public void GetContainers_InAnEngineThatOpenedTheStoreBefore_RemovesStagingDirsAndTempFilesOfAKilledCommit()
    {
        Engine.GetContainers();
        string staging = PlantStaging();
        Directory.CreateDirectory(BlobTmp);
        string raw = Path.Combine(BlobTmp, $"{DeadPid()}-commit-{Guid.NewGuid():N}");
        File.WriteAllText(raw, "half a layer tar");
        File.WriteAllText(raw + ".tar", "half a filtered tar");
        string live = Path.Combine(BlobTmp, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllText(live, "a blob being written by a live process");
        try
        {
            Engine.GetContainers();

            Assert.False(Directory.Exists(staging), "the staging dir of the killed process is still there");
            Assert.False(File.Exists(raw), "the killed commit's temp file is still there");
            Assert.False(File.Exists(raw + ".tar"), "the killed commit's filtered temp file is still there");
            Assert.True(File.Exists(live), "a live writer's temp file was removed");
        }
        finally
        {
            File.Delete(live);
        }
    }

    [MachineFact(Needs.Root)]
    public void GetContainers_RepeatedWithNothingChanged_StillSeesAStagingDirPlantedLater()
    {
        // The sweep is skipped while overlay/ keeps its mtime (an old one is remembered): a dir made later changes it.
        Directory.SetLastWriteTimeUtc(Overlay, DateTime.UtcNow.AddHours(-1));
        Directory.SetLastWriteTimeUtc(BlobTmp, DateTime.UtcNow.AddHours(-1));
        Engine.GetContainers();
        Engine.GetContainers();
        string staging = PlantStaging();

        Engine.GetContainers();

        Assert.False(Directory.Exists(staging));
    }

    [MachineFact(Needs.Root)]
    public void GetContainers_FinishesALayerRemovalKilledAfterItMarkedTheLayer()
    {
        var image = NewImage("xunit-sweep-rmi");
        string layer = image.Layers.Single();
        string link = File.ReadAllText(Path.Combine(Overlay, layer, "link")).Trim();
        // A Remove-ContainerImage killed after it deleted the image row and marked the layer for removal.
        Engine.Store.DeleteImage(image.Id);
        Engine.GetContainers();
        File.WriteAllText(Path.Combine(Overlay, layer, "incomplete"), $"{DeadPid()} 1\n");
        Directory.SetLastWriteTimeUtc(Overlay, DateTime.UtcNow); // what the removal does before it marks

        Engine.GetContainers();

        Assert.False(Directory.Exists(Path.Combine(Overlay, layer)), "the marked layer dir is still there");
        Assert.Null(FileStatus.TryLStat(Path.Combine(Overlay, "l", link)));
        Assert.Null(Engine.Store.GetLayer(layer));
    }

    [MachineFact(Needs.Root)]
    public void RemoveImage_LeavesNoRowWithoutItsDir_AndNoDirWithoutItsRow()
    {
        var image = NewImage("xunit-sweep-rmi2");
        string layer = image.Layers.Single();

        Engine.RemoveImage(image.Id, force: true);

        Assert.Null(Engine.Store.GetLayer(layer));
        Assert.False(Directory.Exists(Path.Combine(Overlay, layer)));
    }

    [MachineFact(Needs.Root)]
    public void NewEngine_DropsALayerRowWhoseDirIsGone()
    {
        // What a Remove-ContainerImage of an older engine left when killed between a layer's dir and its row.
        string id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        Engine.Store.PutLayer(id, "sha256:" + id, null, 0);

        _ = new ContainerEngine(Engine.Options);

        Assert.Null(Engine.Store.GetLayer(id));
    }

    [MachineFact(Needs.Root)]
    public void CreateContainer_FromAnImageWhoseLayerDirIsGone_FailsAndLeavesNothing()
    {
        var image = NewImage("xunit-sweep-nodir");
        string layer = image.Layers.Single();
        RawFiles.RemoveTree(Path.Combine(Overlay, layer));
        int before = Engine.Store.ListContainers().Count;
        int mounts = _fx.MountsUnderRoot().Count;

        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions { Image = image.Id, Command = new[] { "true" } }));

        Assert.Equal("LayerNotFound", e.ErrorId);
        Assert.Equal(before, Engine.Store.ListContainers().Count);
        Assert.Equal(mounts, _fx.MountsUnderRoot().Count);
        try { Engine.RemoveImage(image.Id, force: true); } catch (PodShellException) { }
    }
}
