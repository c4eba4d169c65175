using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Tests.Cgroups;

public sealed class CgroupLimitsTests : IDisposable
{
    private readonly CgroupFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file));

    [Fact]
    public void V2_WritesMemoryCpuAndPids_AndDriverReadsThemBack()
    {
        _fx.MountInfo($"41 31 0:38 / {_fx.MountRoot} rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate");
        var dir = _fx.Dir("podshell/abc");
        _fx.Set(dir, "memory.max", "max\n");
        _fx.Set(dir, "cpu.max", "max 100000\n");
        _fx.Set(dir, "pids.max", "max\n");
        var driver = new CgroupV2Driver(_fx.MountRoot, _fx.ProcRoot);

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), 64L << 20, 1.5, 20);

        Assert.Equal("67108864", Read(dir, "memory.max"));
        Assert.Equal("150000 100000", Read(dir, "cpu.max"));
        Assert.Equal("20", Read(dir, "pids.max"));
        var back = driver.ReadPath("/podshell/abc");
        Assert.Equal(64L << 20, back.MemoryMax);
        Assert.Equal(1.5, back.Cpus);
        Assert.Equal(20, back.PidsMax);
    }

    [Fact]
    public void V2_Unlimited_WritesMax_AndNullLeavesAlone()
    {
        var dir = _fx.Dir("podshell/abc");
        _fx.Set(dir, "memory.max", "1048576\n");
        _fx.Set(dir, "cpu.max", "50000 100000\n");
        _fx.Set(dir, "pids.max", "10\n");
        var driver = new CgroupV2Driver(_fx.MountRoot, _fx.ProcRoot);

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), long.MaxValue, double.PositiveInfinity, null);

        Assert.Equal("max", Read(dir, "memory.max"));
        Assert.Equal("max 100000", Read(dir, "cpu.max"));
        Assert.Equal("10\n", Read(dir, "pids.max"));
    }

    [Fact]
    public void V2_MissingControllerFile_IsCgroupControllerMissing()
    {
        _fx.Dir("podshell/abc");
        var driver = new CgroupV2Driver(_fx.MountRoot, _fx.ProcRoot);
        var e = Assert.Throws<PodShellException>(() => CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), null, null, 5));
        Assert.Equal("CgroupControllerMissing", e.ErrorId);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void InvalidCpus_IsRefused(double cpus)
    {
        var cg = new PodShell.ContainerCgroup { Version = 2 };
        Assert.Equal("InvalidCpus", Assert.Throws<PodShellException>(() => CgroupLimits.Apply(cg, null, cpus, null)).ErrorId);
    }

    private CgroupV1Driver V1Layout(out string mem, out string cpu, out string pids)
    {
        mem = _fx.Dir("memory/podshell/abc");
        cpu = _fx.Dir("cpu/podshell/abc");
        pids = _fx.Dir("pids/podshell/abc");
        _fx.MountInfo(
            $"30 25 0:26 / {_fx.MountRoot}/memory rw - cgroup cgroup rw,memory",
            $"31 25 0:27 / {_fx.MountRoot}/cpu rw - cgroup cgroup rw,cpu",
            $"32 25 0:28 / {_fx.MountRoot}/pids rw - cgroup cgroup rw,pids");
        return new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot);
    }

    [Fact]
    public void V1_WritesLimitInBytesQuotaAndPids()
    {
        var driver = V1Layout(out var mem, out var cpu, out var pids);
        _fx.Set(mem, "memory.limit_in_bytes", "9223372036854771712\n");
        _fx.Set(cpu, "cpu.cfs_quota_us", "-1\n");
        _fx.Set(cpu, "cpu.cfs_period_us", "100000\n");
        _fx.Set(pids, "pids.max", "max\n");

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), 32L << 20, 0.25, 7);

        Assert.Equal("33554432", Read(mem, "memory.limit_in_bytes"));
        Assert.Equal("25000", Read(cpu, "cpu.cfs_quota_us"));
        Assert.Equal("7", Read(pids, "pids.max"));

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), long.MaxValue, double.PositiveInfinity, long.MaxValue);
        Assert.Equal("-1", Read(mem, "memory.limit_in_bytes"));
        Assert.Equal("-1", Read(cpu, "cpu.cfs_quota_us"));
        Assert.Equal("max", Read(pids, "pids.max"));
    }

    [Fact]
    public void V1_WithSwapLimit_KeepsTheSwapAllowance()
    {
        var driver = V1Layout(out var mem, out _, out _);
        _fx.Set(mem, "memory.limit_in_bytes", "100000000\n");
        _fx.Set(mem, "memory.memsw.limit_in_bytes", "150000000\n");

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), 400000000, null, null);
        Assert.Equal("400000000", Read(mem, "memory.limit_in_bytes"));
        Assert.Equal("450000000", Read(mem, "memory.memsw.limit_in_bytes"));

        CgroupLimits.Apply(driver.ReadPath("/podshell/abc"), 20000000, null, null);
        Assert.Equal("20000000", Read(mem, "memory.limit_in_bytes"));
        Assert.Equal("70000000", Read(mem, "memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void BlockIo_V2IoStat_IsReadThroughTheDriver()
    {
        var dir = _fx.Dir("podshell/abc");
        _fx.Set(dir, "io.stat", "8:0 rbytes=1000 wbytes=200 rios=3 wios=1 dbytes=0 dios=0\n8:16 rbytes=24 wbytes=56 rios=1 wios=1 dbytes=0 dios=0\n");
        var cg = new CgroupV2Driver(_fx.MountRoot, _fx.ProcRoot).ReadPath("/podshell/abc");
        Assert.Equal((1024L, 256L), BlockIo.Of(cg));
    }

    [Fact]
    public void BlockIo_V1ServiceBytes_SkipsTotals()
    {
        var text = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n8:16 Read 1\n8:16 Write 2\nTotal 12291\n";
        Assert.Equal((4097L, 8194L), BlockIo.ParseServiceBytes(text));
    }
}
