using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Tests.Cgroups;

public sealed class CgroupV2DriverTests : IDisposable
{
    private readonly CgroupFixture _fx = new();
    private readonly CgroupV2Driver _driver;

    public CgroupV2DriverTests()
    {
        _fx.MountInfo($"41 31 0:38 / {_fx.MountRoot} rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate");
        _driver = new CgroupV2Driver(_fx.MountRoot, _fx.ProcRoot);
    }

    public void Dispose() => _fx.Dispose();

    private string LimitedCgroup()
    {
        var dir = _fx.Dir("podshell/abc");
        _fx.Set(dir, "memory.max", "134217728\n");
        _fx.Set(dir, "memory.current", "1048576\n");
        _fx.Set(dir, "cpu.max", "50000 100000\n");
        _fx.Set(dir, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        _fx.Set(dir, "pids.max", "64\n");
        _fx.Set(dir, "pids.current", "3\n");
        return dir;
    }

    [Fact]
    public void Read_ReportsLimitsUsageAndRawFiles()
    {
        var dir = LimitedCgroup();
        _fx.ProcessCgroup(4242, "0::/podshell/abc");

        var cg = _driver.Read(4242);

        Assert.Equal(2, cg.Version);
        Assert.Equal("/podshell/abc", cg.Path);
        Assert.Equal(134217728, cg.MemoryMax);
        Assert.Equal(1048576, cg.MemoryCurrent);
        Assert.Equal(50000, cg.CpuQuota);
        Assert.Equal(100000, cg.CpuPeriod);
        Assert.Equal(0.5, cg.Cpus);
        Assert.Equal(2_500_000, cg.CpuUsage);
        Assert.Equal(64, cg.PidsMax);
        Assert.Equal(3, cg.PidsCurrent);
        Assert.Equal(dir, cg.Directories["unified"]);
        Assert.Equal("134217728\n", cg.Files["memory.max"]);
        Assert.Equal("50000 100000\n", cg.Files["cpu.max"]);
        Assert.Equal(2, _driver.Version);
        Assert.Equal(CgroupMode.V2, _driver.Mode);
    }

    [Fact]
    public void Read_KeepsMemoryStatMemoryEventsAndIoMaxRaw()
    {
        var dir = LimitedCgroup();
        _fx.Set(dir, "memory.stat", "anon 4096\nfile 8192\nshmem 8388608\ninactive_file 4096\n");
        _fx.Set(dir, "memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        _fx.Set(dir, "io.max", "254:0 rbps=1048576 wbps=max riops=max wiops=max\n");
        _fx.Set(dir, "io.stat", "254:0 rbytes=8388608 wbytes=0 rios=8 wios=0 dbytes=0 dios=0\n");
        _fx.ProcessCgroup(4243, "0::/podshell/abc");

        var cg = _driver.Read(4243);

        Assert.Contains("shmem 8388608", cg.Files["memory.stat"]);
        Assert.Contains("oom_kill 1", cg.Files["memory.events"]);
        Assert.Equal("254:0 rbps=1048576 wbps=max riops=max wiops=max\n", cg.Files["io.max"]);
        Assert.Equal((8388608L, 0L), BlockIo.Of(cg));
    }

    [Fact]
    public void Read_MaxMeansUnlimited()
    {
        var dir = _fx.Dir("podshell/free");
        _fx.Set(dir, "memory.max", "max\n");
        _fx.Set(dir, "cpu.max", "max 250000\n");
        _fx.Set(dir, "pids.max", "max\n");
        _fx.ProcessCgroup(7, "0::/podshell/free");

        var cg = _driver.Read(7);

        Assert.Equal(long.MaxValue, cg.MemoryMax);
        Assert.Equal(long.MaxValue, cg.CpuQuota);
        Assert.Equal(250000, cg.CpuPeriod);
        Assert.Equal(double.PositiveInfinity, cg.Cpus);
        Assert.Equal(long.MaxValue, cg.PidsMax);
    }

    [Fact]
    public void Read_MissingControllerFilesLeaveDefaults()
    {
        // Controllers not in the parent's subtree_control: only the core cpu.stat exists.
        var dir = _fx.Dir("bare");
        _fx.Set(dir, "cpu.stat", "usage_usec 7\n");
        _fx.ProcessCgroup(8, "0::/bare");

        var cg = _driver.Read(8);

        Assert.Equal(long.MaxValue, cg.MemoryMax);
        Assert.Equal(0, cg.MemoryCurrent);
        Assert.Equal(long.MaxValue, cg.PidsMax);
        Assert.Equal(double.PositiveInfinity, cg.Cpus);
        Assert.Equal(7000, cg.CpuUsage);
        Assert.Equal(new[] { "cpu.stat" }, cg.Files.Keys.ToArray());
    }

    [Fact]
    public void Read_PicksTheUnifiedLineOnAHybridStyleFile()
    {
        LimitedCgroup();
        _fx.ProcessCgroup(9, "4:memory:/elsewhere", "1:name=systemd:/other", "0::/podshell/abc");

        Assert.Equal("/podshell/abc", _driver.Read(9).Path);
    }

    [Fact]
    public void Read_StripsTheMountRootOfASubtreeMount()
    {
        // Inside a container without cgroupns, the mount shows /kubepods/pod1 at the mount point.
        _fx.MountInfo($"41 31 0:38 /kubepods/pod1 {_fx.MountRoot} rw - cgroup2 cgroup2 rw");
        var dir = _fx.Dir("ctr");
        _fx.Set(dir, "pids.max", "10\n");
        _fx.ProcessCgroup(10, "0::/kubepods/pod1/ctr");

        var cg = _driver.Read(10);

        Assert.Equal("/ctr", cg.Path);
        Assert.Equal(dir, cg.Directories["unified"]);
        Assert.Equal(10, cg.PidsMax);
    }

    [Fact]
    public void Read_GoneProcessOrCgroupIsCgroupNotFound()
    {
        var noProcess = Assert.Throws<PodShellException>(() => _driver.Read(12345));
        Assert.Equal("CgroupNotFound", noProcess.ErrorId);
        Assert.Equal(FailureKind.NotFound, noProcess.Kind);

        _fx.ProcessCgroup(11, "0::/podshell/removed");
        var noDir = Assert.Throws<PodShellException>(() => _driver.Read(11));
        Assert.Equal("CgroupNotFound", noDir.ErrorId);
    }

    [Fact]
    public void ReadPath_ReadsByPathAndRefusesEscapes()
    {
        LimitedCgroup();

        var cg = _driver.ReadPath("podshell/abc/");
        Assert.Equal("/podshell/abc", cg.Path);
        Assert.Equal(64, cg.PidsMax);

        Assert.Equal("CgroupNotFound", Assert.Throws<PodShellException>(() => _driver.ReadPath("/podshell/none")).ErrorId);
        var escape = Assert.Throws<PodShellException>(() => _driver.ReadPath("/podshell/../../etc"));
        Assert.Equal("InvalidCgroupPath", escape.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, escape.Kind);
    }

    [Fact]
    public void Exists_FollowsTheDirectory()
    {
        _fx.Dir("podshell/x");
        Assert.True(_driver.Exists("/podshell/x"));
        Assert.False(_driver.Exists("/podshell/y"));
    }

    [Fact]
    public void Remove_RemovesChildCgroupsAndIsIdempotent()
    {
        var dir = _fx.Dir("podshell/abc");
        _fx.Dir("podshell/abc/init.scope");

        _driver.Remove("/podshell/abc");
        Assert.False(Directory.Exists(dir));
        Assert.True(Directory.Exists(Path.Combine(_fx.MountRoot, "podshell")));

        _driver.Remove("/podshell/abc");
    }

    [Fact]
    public void Remove_RefusesTheRoot()
    {
        _fx.Dir("keep");
        Assert.Equal("InvalidCgroupPath", Assert.Throws<PodShellException>(() => _driver.Remove("/")).ErrorId);
        Assert.True(Directory.Exists(Path.Combine(_fx.MountRoot, "keep")));
        Assert.False(_driver.RemoveIfEmpty("/"));
    }

    [Fact]
    public void Remove_DirectoryThatWillNotGoIsCgroupBusy()
    {
        // On cgroupfs a populated cgroup answers EBUSY; a plain directory with a file answers ENOTEMPTY.
        var dir = _fx.Dir("podshell/busy");
        _fx.Set(dir, "cgroup.procs", "42\n");

        var e = Assert.Throws<PodShellException>(() => _driver.Remove("/podshell/busy"));
        Assert.Equal("CgroupBusy", e.ErrorId);
        Assert.Equal(FailureKind.ResourceBusy, e.Kind);
        Assert.True(Directory.Exists(dir));
    }

    [Fact]
    public void RemoveIfEmpty_OnlyRemovesEmptyCgroups()
    {
        var withProcs = _fx.Dir("a");
        _fx.Set(withProcs, "cgroup.procs", "42\n");
        var withChild = _fx.Dir("b");
        _fx.Dir("b/child");
        var empty = _fx.Dir("c");

        Assert.False(_driver.RemoveIfEmpty("/a"));
        Assert.False(_driver.RemoveIfEmpty("/b"));
        Assert.True(_driver.RemoveIfEmpty("/c"));
        Assert.True(_driver.RemoveIfEmpty("/never-existed"));

        Assert.True(Directory.Exists(withProcs));
        Assert.True(Directory.Exists(withChild));
        Assert.False(Directory.Exists(empty));
    }
}
