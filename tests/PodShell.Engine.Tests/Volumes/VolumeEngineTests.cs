using System.Text.Json;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Volumes;

/// <summary>Volumes and binds in real containers (runc, conmon, busybox).</summary>
public sealed class VolumeEngineTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public VolumeEngineTests(EngineFixture fx) => _fx = fx;

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Create, run to completion and remove a container; returns its exit code.</summary>
    private int RunToExit(string[] volumes, string script, bool keep = false)
    {
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("vol"), Volumes = volumes, Command = new[] { "sh", "-c", script },
        });
        try
        {
            Engine.StartContainer(c.Id);
            return Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!keep) Engine.RemoveContainer(c.Id, force: true);
        }
    }

    private string HostDir()
    {
        var d = Path.Combine(_fx.Root, "host-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    [MachineFact(Needs.Root)]
    public void NamedVolume_DataOutlivesTheContainer_AndIsSeenByTheNext()
    {
        var vol = UniqueName("data");
        Assert.Equal(0, RunToExit(new[] { $"{vol}:/data" }, "echo survived > /data/f"));

        // Created on first use, released when the container went.
        var v = Engine.GetVolume(vol);
        Assert.Empty(v.UsedBy);
        Assert.Equal("survived\n", File.ReadAllText(Path.Combine(v.Mountpoint, "f")));

        Assert.Equal(0, RunToExit(new[] { $"{vol}:/other" }, "test \"$(cat /other/f)\" = survived"));
        Assert.Equal(3, RunToExit(new[] { $"{vol}:/other" }, "test -f /other/nope || exit 3"));
        Engine.RemoveVolume(vol, force: false);
        Assert.False(Directory.Exists(Path.GetDirectoryName(v.Mountpoint)));
    }

    [MachineFact(Needs.Root)]
    public void ReadOnlyBind_RefusesWrites_AndReadWriteBindWritesToTheHost()
    {
        var host = HostDir();
        File.WriteAllText(Path.Combine(host, "in"), "from host");

        Assert.Equal(0, RunToExit(new[] { $"{host}:/data:ro" }, "test \"$(cat /data/in)\" = 'from host'"));
        Assert.NotEqual(0, RunToExit(new[] { $"{host}:/data:ro" }, "echo x > /data/new"));
        Assert.False(File.Exists(Path.Combine(host, "new")));

        Assert.Equal(0, RunToExit(new[] { $"{host}:/data" }, "echo x > /data/new"));
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(host, "new")));
    }

    [MachineFact(Needs.Root)]
    public void ConfigJson_HasTheMountsAfterTheDefaults_WithPodmansOptions()
    {
        var host = HostDir();
        var vol = UniqueName("cfg");
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("cfg"), Command = new[] { "true" },
            Volumes = new[] { $"{host}:/srv:ro", $"{vol}:/var/lib/x" },
        });
        try
        {
            Assert.Equal(new[] { $"{host}:/srv:ro", $"{vol}:/var/lib/x" }, Engine.GetContainer(c.Id).Mounts);
            using var doc = JsonDocument.Parse(File.ReadAllText(Engine.PathsFor(c.Id).ConfigFile));
            var mounts = doc.RootElement.GetProperty("mounts").EnumerateArray().ToList();
            var srv = mounts[^2];
            var lib = mounts[^1];
            Assert.Equal("/srv", srv.GetProperty("destination").GetString());
            Assert.Equal(host, srv.GetProperty("source").GetString());
            Assert.Equal("bind", srv.GetProperty("type").GetString());
            Assert.Equal(new[] { "rbind", "rprivate", "ro" }, srv.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
            Assert.Equal("/var/lib/x", lib.GetProperty("destination").GetString());
            Assert.Equal(Engine.GetVolume(vol).Mountpoint, lib.GetProperty("source").GetString());
            Assert.Equal(new[] { "rbind", "rprivate" }, lib.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
            Assert.Equal(new[] { c.Name }, Engine.GetVolume(vol).UsedBy);
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
        Assert.NotNull(Engine.Volumes.Get(vol)); // a finished create's volume stays
        Engine.RemoveVolume(vol, force: false);
    }

    [MachineFact(Needs.Root)]
    public void MissingBindSource_IsBindSourceNotFound_AndLeavesNothingBehind()
    {
        var records = Engine.Store.ListContainers().Count;
        var layers = Directory.GetFileSystemEntries(Engine.Layers.Root).OrderBy(x => x).ToList();
        var mounts = _fx.MountsUnderRoot().Count;
        var vol = UniqueName("never");
        var missing = Path.Combine(_fx.Root, "no-such-dir-" + Guid.NewGuid().ToString("N")[..6]);

        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("nobind"), Command = new[] { "true" },
            Volumes = new[] { $"{vol}:/v", $"{missing}:/data" },
        }));

        Assert.Equal("BindSourceNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains(missing, e.Message);
        Assert.Equal(records, Engine.Store.ListContainers().Count);
        Assert.Equal(layers, Directory.GetFileSystemEntries(Engine.Layers.Root).OrderBy(x => x).ToList());
        Assert.Equal(mounts, _fx.MountsUnderRoot().Count);
        Assert.Null(Engine.Volumes.Get(vol));
        Assert.False(Directory.Exists(Path.Combine(Engine.Volumes.Root, vol)));
        Assert.False(Directory.Exists(missing));
    }

    [MachineFact(Needs.Root)]
    public void AFailedCreate_TakesBackTheVolumeItCreated_ButNotOneThatExisted()
    {
        var fresh = UniqueName("fresh");
        var existing = Engine.CreateVolume(UniqueName("existing")).Name;
        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("nocmd"), Command = new[] { "no-such-command" },
            Volumes = new[] { $"{fresh}:/a", $"{existing}:/b" },
        }));
        Assert.Equal("CommandNotFound", e.ErrorId);
        // CheckCommandExists runs before the bundle, so nothing was even created; either way none is left.
        Assert.Null(Engine.Volumes.Get(fresh));
        Assert.Empty(Engine.GetVolume(existing).UsedBy);
        Engine.RemoveVolume(existing, force: false);
    }

    [MachineFact(Needs.Root)]
    public void RemoveVolume_InUse_IsRefused_AndForceRemovesTheRunningContainerFirst()
    {
        var vol = Engine.CreateVolume(UniqueName("busy"), new Dictionary<string, string> { ["k"] = "v" }).Name;
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("user"), Volumes = new[] { $"{vol}:/data" }, Command = new[] { "sleep", "600" },
        });
        Engine.StartContainer(c.Id);
        try
        {
            var e = Assert.Throws<PodShellException>(() => Engine.RemoveVolume(vol, force: false));
            Assert.Equal("VolumeInUse", e.ErrorId);
            Assert.Equal(FailureKind.InvalidState, e.Kind);
            Assert.Contains(c.Name, e.Message);
            Assert.Equal(ContainerState.Running, Engine.GetContainer(c.Id).State);
            Assert.NotNull(Engine.Volumes.Get(vol));

            var removed = Engine.RemoveVolume(vol, force: true);
            Assert.Equal(vol, removed.Name);
            Assert.Equal("v", removed.Labels["k"]);
            Assert.Null(Engine.Volumes.Get(vol));
            Assert.DoesNotContain(Engine.GetContainers(), x => x.Id == c.Id);
        }
        finally
        {
            try { Engine.RemoveContainer(c.Id, force: true); } catch (PodShellException) { }
        }
    }

    [MachineFact(Needs.Root)]
    public void ExistingVolume_IsNotCreatedAgain_AndSizeCountsItsFiles()
    {
        var v = Engine.CreateVolume(UniqueName("sz"));
        File.WriteAllBytes(Path.Combine(v.Mountpoint, "seed"), new byte[4096]);
        Assert.Equal(0, RunToExit(new[] { $"{v.Name}:/d" }, "test -f /d/seed && head -c 100 /d/seed > /d/more"));
        Assert.Equal(4196, Engine.GetVolume(v.Name, withSize: true).Size);
        Assert.Null(Engine.GetVolume(v.Name).Size);
        Assert.Contains(Engine.GetVolumes(withSize: true), x => x.Name == v.Name && x.Size == 4196);
        Assert.Equal("VolumeAlreadyExists", Assert.Throws<PodShellException>(() => Engine.CreateVolume(v.Name)).ErrorId);
        Engine.RemoveVolume(v.Name, force: false);
        Assert.Equal("VolumeNotFound", Assert.Throws<PodShellException>(() => Engine.GetVolume(v.Name)).ErrorId);
    }

    [Fact]
    public void CreateVolume_WithoutAName_GetsARandomHexName()
    {
        var v = Engine.CreateVolume();
        Assert.Matches("^[0-9a-f]{64}$", v.Name);
        Engine.RemoveVolume(v.Name, force: false);
    }
}
