using System.Diagnostics;
using System.Security.Cryptography;
using PodShell.Engine.Containers;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>The facade end to end, as root, with runc, conmon and a busybox image.</summary>
public sealed class ContainerEngineTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public ContainerEngineTests(EngineFixture fx) => _fx = fx;

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private (List<ExecOutput> Lines, int? ExitCode) Exec(string id, params string[] command)
    {
        using var s = Engine.Exec(id, command);
        var lines = s.ReadOutput(CancellationToken.None).ToList();
        return (lines, s.ExitCode);
    }

    private bool MountedAnywhere(string id) => File.ReadAllText("/proc/self/mountinfo").Contains(id);

    // Where the memory controller is on this machine: the v1 memory hierarchy, or the cgroup2 tree on a v2 host.
    private string MemoryCgroupDir(string id) => Machine.MemoryCgroupDirectory("/" + _fx.CgroupParent + "/" + id);

    private void AssertNoTrace(string id)
    {
        Assert.DoesNotContain(Engine.GetContainers(), c => c.Id == id);
        Assert.Null(Engine.Store.GetContainer(id));
        Assert.False(MountedAnywhere(id), "a mount of the container is left");
        Assert.False(Directory.Exists(MemoryCgroupDir(id)), "its memory cgroup is left");
        Assert.False(Directory.Exists(Path.Combine(Engine.Layers.Root, id)), "its layer is left");
        Assert.False(Directory.Exists(Engine.PathsFor(id).BundleDir), "its bundle is left");
        Assert.False(Directory.Exists(Engine.PathsFor(id).RunDir), "its run dir is left");
    }

    [Fact]
    public void Image_IsImportedAndResolvedByEverySpelling()
    {
        var img = _fx.Image;
        Assert.Equal(new[] { "busybox:latest" }, img.Names);
        Assert.Equal("sha256:" + img.Id, img.Digest);
        Assert.Single(img.Layers);
        foreach (var spelling in new[] { "busybox", "busybox:latest", "localhost/busybox", img.Id, img.Id[..12], "sha256:" + img.Id })
            Assert.Equal(img.Id, Engine.ResolveImage(spelling).Id);

        var layer = Assert.Single(Engine.GetImageLayers(img));
        Assert.Equal(LayerKind.Image, layer.Kind);
        Assert.StartsWith("sha256:", layer.DiffId);
        Assert.Equal(img.Layers[0], layer.Id);
        Assert.True(File.Exists(Path.Combine(layer.DiffDir, "bin", "busybox")));
    }

    [Fact]
    public void UnknownImage_ThrowsImageNotFound()
    {
        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions { Image = "no-such-image-xunit", Command = new[] { "sh" } }));
        Assert.Equal("ImageNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Equal("ImageNotFound", Assert.Throws<PodShellException>(() => Engine.ResolveImage("abc")).ErrorId);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(1000.0)]
    public void BadCpus_ThrowsInvalidCpus(double cpus)
    {
        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions { Image = "busybox", Cpus = cpus, Command = new[] { "true" } }));
        Assert.Equal("InvalidCpus", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void BadMemoryAndName_AreRejectedBeforeAnythingIsMade()
    {
        int before = Engine.Store.ListContainers().Count;
        Assert.Equal("InvalidMemory", Assert.Throws<PodShellException>(() =>
            Engine.CreateContainer(new CreateOptions { Image = "busybox", Memory = 1024, Command = new[] { "true" } })).ErrorId);
        Assert.Equal("InvalidContainerName", Assert.Throws<PodShellException>(() =>
            Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = "bad name", Command = new[] { "true" } })).ErrorId);
        Assert.Equal(before, Engine.Store.ListContainers().Count);
    }

    [MachineTheory(Needs.Root)]
    [InlineData("no-such-command")]
    [InlineData("/bin/no-such-command")]
    public void MissingCommand_ThrowsCommandNotFound_AndLeavesNothing(string command)
    {
        var records = Engine.Store.ListContainers().Count;
        var layerDirs = Directory.GetFileSystemEntries(Engine.Layers.Root).OrderBy(x => x).ToList();
        var mounts = _fx.MountsUnderRoot().Count;
        var bundles = Directory.Exists(Path.Combine(Engine.Options.GraphRoot, "containers"))
            ? Directory.GetDirectories(Path.Combine(Engine.Options.GraphRoot, "containers")).Length : 0;

        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = UniqueName("nocmd"), Cpus = 1, Command = new[] { command },
        }));

        Assert.Equal("CommandNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains(command, e.Message);
        Assert.Equal(records, Engine.Store.ListContainers().Count);
        Assert.Equal(layerDirs, Directory.GetFileSystemEntries(Engine.Layers.Root).OrderBy(x => x).ToList());
        Assert.Equal(mounts, _fx.MountsUnderRoot().Count);
        Assert.Equal(bundles, Directory.Exists(Path.Combine(Engine.Options.GraphRoot, "containers"))
            ? Directory.GetDirectories(Path.Combine(Engine.Options.GraphRoot, "containers")).Length : 0);
    }

    [MachineFact(Needs.Root)]
    public void DuplicateName_ThrowsContainerNameInUse_AndKeepsTheFirst()
    {
        var name = UniqueName("dup");
        var first = Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = name, Cpus = 1, Command = new[] { "true" } });
        try
        {
            var e = Assert.Throws<PodShellException>(() =>
                Engine.CreateContainer(new CreateOptions { Image = "busybox", Name = name, Cpus = 1, Command = new[] { "true" } }));
            Assert.Equal("ContainerNameInUse", e.ErrorId);
            Assert.Equal(FailureKind.AlreadyExists, e.Kind);
            Assert.Equal(first.Id, Engine.GetContainer(name).Id);
            Assert.Single(Engine.GetContainers(), c => c.Name == name);
        }
        finally
        {
            Engine.RemoveContainer(first.Id, force: true);
        }
        AssertNoTrace(first.Id);
    }

    [MachineFact(Needs.Root)]
    public void Lifecycle_LimitsNamespacesExecStopRestartRemove()
    {
        var name = UniqueName("life");
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox",
            Name = name,
            Memory = 128L * 1024 * 1024,
            Cpus = 0.5,
            PidsLimit = 64,
            Hostname = "xunit-lab",
            Command = new[] { "sleep", "infinity" },
        });
        try
        {
            Assert.Equal(ContainerState.Created, c.State);
            Assert.Equal(64, c.Id.Length);
            Assert.Equal(name, c.Name);
            Assert.Equal(new[] { "sleep", "infinity" }, c.Command);
            Assert.Equal(ContainerState.Created, Engine.GetContainer(name).State);
            Assert.Equal(c.Id, Engine.GetContainer(c.Id[..12]).Id);
            Assert.Equal("ContainerNotRunning", Assert.Throws<PodShellException>(() => Engine.GetCgroup(name)).ErrorId);
            Assert.Equal("ContainerNotRunning", Assert.Throws<PodShellException>(() => Engine.WaitContainer(c.Id)).ErrorId);
            Assert.Equal("ContainerNotRunning", Assert.Throws<PodShellException>(() => Engine.Exec(c.Id, new[] { "true" })).ErrorId);

            var started = Engine.StartContainer(c.Id);
            Assert.Equal(ContainerState.Running, started.State);
            Assert.True(started.Pid > 0);
            var running = Engine.GetContainer(name);
            Assert.Equal(ContainerState.Running, running.State);
            Assert.Equal(started.Pid, running.Pid);
            Assert.Equal(ContainerState.Running, Engine.StartContainer(c.Id).State); // starting a running one is a no-op

            var cg = Engine.GetCgroup(name);
            Assert.Equal(c.Id, cg.ContainerId);
            Assert.Equal(134217728L, cg.MemoryMax);
            Assert.Equal(50000L, cg.CpuQuota);
            Assert.Equal(100000L, cg.CpuPeriod);
            Assert.Equal(0.5, cg.Cpus);
            Assert.Equal(64L, cg.PidsMax);
            Assert.True(cg.PidsCurrent >= 1);
            Assert.True(Directory.Exists(MemoryCgroupDir(c.Id)));

            var ns = Engine.GetNamespaces(name);
            foreach (var type in new[] { "pid", "mnt", "uts", "ipc", "net" })
            {
                var n = Assert.Single(ns, x => x.Type == type);
                Assert.False(n.SharedWithHost, type + " namespace is shared with the host");
                Assert.Equal(c.Id, n.ContainerId);
            }

            var (lines, code) = Exec(c.Id, "hostname");
            Assert.Equal(0, code);
            Assert.Equal(new[] { new ExecOutput(false, "xunit-lab") }, lines);

            (lines, code) = Exec(c.Id, "sh", "-c", "echo to-err >&2; exit 3");
            Assert.Equal(3, code);
            Assert.Contains(new ExecOutput(true, "to-err"), lines);

            (lines, code) = Exec(c.Id, "cat", "/etc/hostname");
            Assert.Equal(0, code);
            Assert.Equal("xunit-lab", Assert.Single(lines).Line);

            var layers = Engine.GetContainerLayers(name);
            Assert.Equal(2, layers.Count);
            var top = layers[0];
            Assert.Equal(LayerKind.Container, top.Kind);
            Assert.True(top.Mounted);
            Assert.False(string.IsNullOrEmpty(top.UpperDir));
            Assert.True(Directory.Exists(top.UpperDir));
            Assert.NotEmpty(top.LowerDirs);
            Assert.Equal(_fx.Image.Layers[0], layers[1].Id);
            Assert.True(MountedAnywhere(c.Id));

            Exec(c.Id, "sh", "-c", "echo data > /root/written");
            Assert.Equal("data\n", File.ReadAllText(Path.Combine(top.UpperDir, "root", "written")));

            Assert.Equal("ContainerRunning", Assert.Throws<PodShellException>(() => Engine.RemoveContainer(c.Id, force: false)).ErrorId);

            // sleep as pid 1 has no SIGTERM handler, so the kernel ignores it and the stop ends in SIGKILL.
            var stopped = Engine.StopContainer(c.Id, timeoutSeconds: 1);
            Assert.Equal(ContainerState.Exited, stopped.State);
            Assert.Equal(137, stopped.ExitCode);
            Assert.Equal(0, stopped.Pid);
            Assert.NotNull(stopped.FinishedAt);
            Assert.Equal(137, Engine.GetContainer(name).ExitCode);
            Assert.Equal(137, Engine.WaitContainer(c.Id));
            Assert.False(Engine.GetContainerLayers(name)[0].Mounted);
            Assert.False(ProcStatAlive(started.Pid));

            // The writable layer outlives a stop.
            var again = Engine.StartContainer(c.Id);
            Assert.Equal(ContainerState.Running, again.State);
            Assert.True(again.Pid > 0);
            Assert.Null(again.ExitCode);
            Assert.Equal("data", Assert.Single(Exec(c.Id, "cat", "/root/written").Lines).Line);

            Engine.RemoveContainer(c.Id, force: true);
            Assert.False(ProcStatAlive(again.Pid));
            Assert.Equal("ContainerNotFound", Assert.Throws<PodShellException>(() => Engine.GetContainer(c.Id)).ErrorId);
            AssertNoTrace(c.Id);
        }
        finally
        {
            try { Engine.RemoveContainer(c.Id, force: true); } catch (PodShellException) { }
        }
    }

    private static bool ProcStatAlive(int pid) => PodShell.Engine.Linux.ProcStat.IsAlive(pid, 0);

    [MachineFact(Needs.Root)]
    public void ExitCodeAndLogs_OfAShortLivedContainer()
    {
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox",
            Name = UniqueName("logs"),
            Cpus = 1,
            Command = new[] { "sh", "-c", "echo out; echo err >&2; exit 5" },
        });
        try
        {
            Engine.StartContainer(c.Id);
            Assert.Equal(5, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
            var done = Engine.GetContainer(c.Id);
            Assert.Equal(ContainerState.Exited, done.State);
            Assert.Equal(5, done.ExitCode);
            Assert.False(done.OomKilled);

            var logs = Engine.GetLogs(c.Name).ToList();
            Assert.Contains(logs, l => l.Stream == "stdout" && l.Line == "out");
            Assert.Contains(logs, l => l.Stream == "stderr" && l.Line == "err");
            Assert.Equal(2, logs.Count);
            Assert.All(logs, l => Assert.Equal(c.Id, l.ContainerId));
            Assert.All(logs, l => Assert.Equal(DateTimeKind.Utc, l.Time.Kind));

            // An exited container is removed without force.
            Engine.RemoveContainer(c.Id, force: false);
            AssertNoTrace(c.Id);
        }
        finally
        {
            try { Engine.RemoveContainer(c.Id, force: true); } catch (PodShellException) { }
        }
    }

    /// <summary>Containers made without limits are the common case (New-Container busybox sleep):
    /// they are recorded as unlimited (+Infinity CPUs) with Podman's default pids limit.</summary>
    [MachineFact(Needs.Root)]
    public void DefaultLimits_AreUnlimitedCpuAndMemory()
    {
        var c = Engine.CreateContainer(new CreateOptions { Image = "busybox", Command = new[] { "true" } });
        try
        {
            Assert.True(double.IsPositiveInfinity(c.Cpus));
            Assert.Equal(long.MaxValue, c.MemoryMax);
            Assert.Equal(ContainerEngine.DefaultPidsLimit, c.PidsMax);
            Assert.True(NameGenerator.IsValid(c.Name));
            Assert.Equal(c.Id[..12], c.Hostname);
            Assert.True(double.IsPositiveInfinity(Engine.GetContainer(c.Id).Cpus));
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
        AssertNoTrace(c.Id);
    }

    private string InsertOrphan(ContainerState state, int ownerPid, ulong ownerStart, int pid = 0)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        Engine.Store.InsertContainer(new ContainerRecord
        {
            Container = new Container
            {
                Id = id,
                Name = UniqueName("orphan"),
                Image = _fx.Image.Name,
                ImageId = _fx.Image.Id,
                State = state,
                Pid = pid,
                Cpus = 1,
                Command = new[] { "sleep", "infinity" },
            },
            OwnerPid = ownerPid,
            OwnerStart = ownerStart,
        });
        return id;
    }

    private static int DeadPid()
    {
        using var p = Process.Start("/bin/sleep", "0")!;
        p.WaitForExit();
        return p.Id;
    }

    [Fact]
    public void Reconcile_CreatingRecordOfADeadOwner_IsRemoved()
    {
        var id = InsertOrphan(ContainerState.Creating, DeadPid(), 1);
        Assert.DoesNotContain(Engine.GetContainers(), c => c.Id == id);
        Assert.Null(Engine.Store.GetContainer(id));
    }

    [Fact]
    public void Reconcile_CreatingRecordOfALiveOwner_IsKept()
    {
        var self = PodShell.Engine.Linux.ProcStat.Self();
        var id = InsertOrphan(ContainerState.Creating, self.Pid, self.Start);
        try
        {
            Assert.Equal(ContainerState.Creating, Assert.Single(Engine.GetContainers(), c => c.Id == id).State);
        }
        finally
        {
            Engine.Store.DeleteContainer(id);
        }
    }

    [Fact]
    public void Reconcile_StartingRecordOfADeadOwner_GoesBackToCreated()
    {
        var id = InsertOrphan(ContainerState.Starting, DeadPid(), 1);
        try
        {
            Assert.Equal(ContainerState.Created, Engine.GetContainer(id).State);
            var r = Engine.Store.GetContainer(id)!;
            Assert.Equal(0, r.OwnerPid);
        }
        finally
        {
            Engine.RemoveContainer(id, force: true);
        }
        Assert.Null(Engine.Store.GetContainer(id));
    }

    [Fact]
    public void Reconcile_RunningRecordWhoseProcessesAreGone_IsExited()
    {
        var id = InsertOrphan(ContainerState.Running, 0, 0, pid: DeadPid());
        try
        {
            var c = Engine.GetContainer(id);
            Assert.Equal(ContainerState.Exited, c.State);
            Assert.Equal(0, c.Pid);
            Assert.NotNull(c.ExitCode);
        }
        finally
        {
            Engine.RemoveContainer(id, force: true);
        }
        Assert.Null(Engine.Store.GetContainer(id));
    }

    [MachineFact(Needs.Root)]
    public void RemoveImage_InUseNeedsForce_AndKeepsSharedLayers()
    {
        var second = Engine.ImportImage(_fx.RootfsDir, "xunit-second:v1");
        Assert.Equal(second.Id, Engine.ResolveImage("xunit-second:v1").Id);
        var c = Engine.CreateContainer(new CreateOptions { Image = "xunit-second:v1", Name = UniqueName("img"), Cpus = 1, Command = new[] { "true" } });

        var e = Assert.Throws<PodShellException>(() => Engine.RemoveImage(second.Id, force: false));
        Assert.Equal("ImageInUse", e.ErrorId);
        Assert.NotNull(Engine.Store.GetContainer(c.Id));

        Engine.RemoveImage(second.Id, force: true);
        AssertNoTrace(c.Id);
        Assert.DoesNotContain(Engine.GetImages(), i => i.Id == second.Id);
        Assert.Equal("ImageNotFound", Assert.Throws<PodShellException>(() => Engine.ResolveImage("xunit-second:v1")).ErrorId);
        foreach (var l in second.Layers.Except(_fx.Image.Layers))
            Assert.False(Engine.Layers.Exists(l), "layer " + l + " of the removed image is left");
        foreach (var l in _fx.Image.Layers)
            Assert.True(Engine.Layers.Exists(l), "layer " + l + " of busybox was removed with another image");
    }
}
