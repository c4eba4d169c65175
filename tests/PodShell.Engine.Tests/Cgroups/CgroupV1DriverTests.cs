using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Tests.Cgroups;

public sealed class CgroupV1DriverTests : IDisposable
{
    private readonly CgroupFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    /// <summary>This host's layout: cpu and cpuacct separate, name=systemd, cgroup2 at unified/.</summary>
    private void SeparateCpuMounts()
    {
        var r = _fx.MountRoot;
        _fx.MountInfo(
            $"31 23 0:28 / {r} rw,relatime - tmpfs tmpfs rw,mode=755",
            $"32 31 0:29 / {r}/cpu rw,relatime shared:1 - cgroup cgroup rw,cpu",
            $"33 31 0:30 / {r}/cpuacct rw,relatime - cgroup cgroup rw,cpuacct",
            $"35 31 0:32 / {r}/memory rw,relatime - cgroup cgroup rw,memory",
            $"39 31 0:36 / {r}/pids rw,relatime - cgroup cgroup rw,pids",
            $"40 31 0:37 / {r}/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
            $"41 31 0:38 / {r}/unified rw,relatime - cgroup2 cgroup2 rw",
            "50 23 0:50 / /mnt/other\\040dir rw - ext4 /dev/sda1 rw");
    }

    private void ContainerDirs(string path, bool withUnified = true)
    {
        foreach (var h in new[] { "cpu", "cpuacct", "memory", "pids", "systemd" })
            _fx.Dir(h + path);
        if (withUnified)
            _fx.Dir("unified" + path);
    }

    private static string[] ContainerProcCgroup(string path) => new[]
    {
        $"9:name=systemd:{path}", $"8:pids:{path}", $"4:memory:{path}", $"2:cpuacct:{path}", $"1:cpu:{path}", $"0::{path}",
    };

    [Fact]
    public void Read_ReportsLimitsAndUsageFromEachHierarchy()
    {
        SeparateCpuMounts();
        ContainerDirs("/podshell/abc");
        var root = _fx.MountRoot;
        _fx.Set($"{root}/memory/podshell/abc", "memory.limit_in_bytes", "134217728\n");
        _fx.Set($"{root}/memory/podshell/abc", "memory.usage_in_bytes", "4096\n");
        _fx.Set($"{root}/cpu/podshell/abc", "cpu.cfs_quota_us", "50000\n");
        _fx.Set($"{root}/cpu/podshell/abc", "cpu.cfs_period_us", "100000\n");
        _fx.Set($"{root}/cpuacct/podshell/abc", "cpuacct.usage", "123456789\n");
        _fx.Set($"{root}/pids/podshell/abc", "pids.max", "64\n");
        _fx.Set($"{root}/pids/podshell/abc", "pids.current", "2\n");
        _fx.ProcessCgroup(100, ContainerProcCgroup("/podshell/abc"));

        var driver = new CgroupV1Driver(root, _fx.ProcRoot, hybrid: true);
        var cg = driver.Read(100);

        Assert.Equal(1, cg.Version);
        Assert.Equal("/podshell/abc", cg.Path);
        Assert.Equal(134217728, cg.MemoryMax);
        Assert.Equal(4096, cg.MemoryCurrent);
        Assert.Equal(50000, cg.CpuQuota);
        Assert.Equal(100000, cg.CpuPeriod);
        Assert.Equal(0.5, cg.Cpus);
        Assert.Equal(123456789, cg.CpuUsage);
        Assert.Equal(64, cg.PidsMax);
        Assert.Equal(2, cg.PidsCurrent);
        Assert.Equal($"{root}/memory/podshell/abc", cg.Directories["memory"]);
        Assert.Equal($"{root}/cpu/podshell/abc", cg.Directories["cpu"]);
        Assert.Equal($"{root}/cpuacct/podshell/abc", cg.Directories["cpuacct"]);
        Assert.Equal($"{root}/pids/podshell/abc", cg.Directories["pids"]);
        Assert.Equal("123456789\n", cg.Files["cpuacct.usage"]);
        Assert.Equal(1, driver.Version);
        Assert.Equal(CgroupMode.Hybrid, driver.Mode);
    }

    [Fact]
    public void Read_UnlimitedForms()
    {
        SeparateCpuMounts();
        ContainerDirs("/free");
        var root = _fx.MountRoot;
        // LONG_MAX rounded down to a 4 KiB page, as the kernel reports an unset v1 memory limit.
        _fx.Set($"{root}/memory/free", "memory.limit_in_bytes", "9223372036854771712\n");
        _fx.Set($"{root}/cpu/free", "cpu.cfs_quota_us", "-1\n");
        _fx.Set($"{root}/cpu/free", "cpu.cfs_period_us", "100000\n");
        _fx.Set($"{root}/pids/free", "pids.max", "max\n");
        _fx.ProcessCgroup(101, ContainerProcCgroup("/free"));

        var cg = new CgroupV1Driver(root, _fx.ProcRoot).Read(101);

        Assert.Equal(long.MaxValue, cg.MemoryMax);
        Assert.Equal(long.MaxValue, cg.CpuQuota);
        Assert.Equal(double.PositiveInfinity, cg.Cpus);
        Assert.Equal(long.MaxValue, cg.PidsMax);
    }

    [Fact]
    public void Read_LimitJustBelowThePageRoundedMaxIsKept()
    {
        SeparateCpuMounts();
        ContainerDirs("/big");
        long onePageLess = 9223372036854771712 - 65536;
        _fx.Set($"{_fx.MountRoot}/memory/big", "memory.limit_in_bytes", onePageLess + "\n");
        _fx.ProcessCgroup(102, ContainerProcCgroup("/big"));

        Assert.Equal(onePageLess, new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot).Read(102).MemoryMax);
    }

    [Fact]
    public void Read_MissingFilesAndHierarchiesLeaveDefaults()
    {
        SeparateCpuMounts();
        _fx.Dir("memory/half");
        _fx.Set($"{_fx.MountRoot}/memory/half", "memory.usage_in_bytes", "8192\n");
        _fx.ProcessCgroup(103, ContainerProcCgroup("/half"));

        var cg = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot).Read(103);

        Assert.Equal(long.MaxValue, cg.MemoryMax);
        Assert.Equal(8192, cg.MemoryCurrent);
        Assert.Equal(long.MaxValue, cg.PidsMax);
        Assert.Equal(double.PositiveInfinity, cg.Cpus);
        Assert.Equal(new[] { "memory" }, cg.Directories.Keys.ToArray());
    }

    [Fact]
    public void Read_CoMountedCpuAndCpuacct()
    {
        var r = _fx.MountRoot;
        _fx.MountInfo(
            $"32 31 0:29 / {r}/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,cpu,cpuacct",
            $"35 31 0:32 / {r}/memory rw - cgroup cgroup rw,memory");
        _fx.Dir("memory");
        var dir = _fx.Dir("cpu,cpuacct/ctr");
        _fx.Set(dir, "cpu.cfs_quota_us", "150000\n");
        _fx.Set(dir, "cpu.cfs_period_us", "100000\n");
        _fx.Set(dir, "cpuacct.usage", "99\n");
        _fx.ProcessCgroup(104, "2:cpu,cpuacct:/ctr", "1:memory:/");

        var cg = new CgroupV1Driver(r, _fx.ProcRoot).Read(104);

        Assert.Equal(1.5, cg.Cpus);
        Assert.Equal(99, cg.CpuUsage);
        Assert.Equal(dir, cg.Directories["cpu"]);
        Assert.Equal(dir, cg.Directories["cpuacct"]);
        // memory is the preferred name for Path, and the process sits in its root.
        Assert.Equal("/", cg.Path);
        Assert.Equal($"{r}/memory", cg.Directories["memory"]);
    }

    [Fact]
    public void Read_WithoutMountInfoFallsBackToTheMountRootLayout()
    {
        var r = _fx.MountRoot;
        var cpu = _fx.Dir("cpu,cpuacct/ctr");
        Directory.CreateSymbolicLink($"{r}/cpu", "cpu,cpuacct");
        _fx.Set(cpu, "cpu.cfs_quota_us", "25000\n");
        var pids = _fx.Dir("pids/ctr");
        _fx.Set(pids, "pids.max", "5\n");

        var cg = new CgroupV1Driver(r, _fx.ProcRoot).ReadPath("/ctr");

        Assert.Equal(0.25, cg.Cpus);
        Assert.Equal(5, cg.PidsMax);
        Assert.Equal(cpu, cg.Directories["cpuacct"]);
    }

    [Fact]
    public void Read_GoneProcessOrCgroupIsCgroupNotFound()
    {
        SeparateCpuMounts();
        var driver = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot);
        Assert.Equal("CgroupNotFound", Assert.Throws<PodShellException>(() => driver.Read(999)).ErrorId);

        _fx.ProcessCgroup(105, ContainerProcCgroup("/gone"));
        var e = Assert.Throws<PodShellException>(() => driver.Read(105));
        Assert.Equal("CgroupNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Equal("CgroupNotFound", Assert.Throws<PodShellException>(() => driver.ReadPath("/gone")).ErrorId);
    }

    [Fact]
    public void Exists_LooksInEveryHierarchy()
    {
        SeparateCpuMounts();
        _fx.Dir("unified/only-v2");
        _fx.Dir("pids/only-pids");

        var hybrid = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot, hybrid: true);
        var v1 = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot, hybrid: false);

        Assert.True(hybrid.Exists("/only-pids"));
        Assert.True(hybrid.Exists("/only-v2"));
        Assert.False(v1.Exists("/only-v2"));
        Assert.False(hybrid.Exists("/nothing"));
    }

    [Fact]
    public void Remove_OnHybridRemovesEveryHierarchyIncludingSystemdAndUnified()
    {
        SeparateCpuMounts();
        ContainerDirs("/podshell/abc");
        _fx.Dir("memory/podshell/abc/sub");

        new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot, hybrid: true).Remove("/podshell/abc");

        foreach (var h in new[] { "cpu", "cpuacct", "memory", "pids", "systemd", "unified" })
        {
            Assert.False(Directory.Exists($"{_fx.MountRoot}/{h}/podshell/abc"), h);
            Assert.True(Directory.Exists($"{_fx.MountRoot}/{h}/podshell"), h);
        }
    }

    [Fact]
    public void Remove_OnPureV1LeavesUnifiedAloneAndIsIdempotent()
    {
        SeparateCpuMounts();
        ContainerDirs("/ctr");
        var driver = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot, hybrid: false);

        driver.Remove("/ctr");
        driver.Remove("/ctr");

        Assert.False(Directory.Exists($"{_fx.MountRoot}/systemd/ctr"));
        Assert.True(Directory.Exists($"{_fx.MountRoot}/unified/ctr"));
    }

    [Fact]
    public void Remove_BusyHierarchyIsCgroupBusy()
    {
        SeparateCpuMounts();
        ContainerDirs("/busy");
        _fx.Set($"{_fx.MountRoot}/pids/busy", "cgroup.procs", "42\n");

        var e = Assert.Throws<PodShellException>(() => new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot).Remove("/busy"));
        Assert.Equal("CgroupBusy", e.ErrorId);
        Assert.Equal(FailureKind.ResourceBusy, e.Kind);
    }

    [Fact]
    public void RemoveIfEmpty_LeavesEveryHierarchyWhenOneIsBusy()
    {
        SeparateCpuMounts();
        ContainerDirs("/ctr");
        _fx.Set($"{_fx.MountRoot}/pids/ctr", "cgroup.procs", "42\n");
        var driver = new CgroupV1Driver(_fx.MountRoot, _fx.ProcRoot, hybrid: true);

        Assert.False(driver.RemoveIfEmpty("/ctr"));
        Assert.True(Directory.Exists($"{_fx.MountRoot}/memory/ctr"));

        File.Delete($"{_fx.MountRoot}/pids/ctr/cgroup.procs");
        Assert.True(driver.RemoveIfEmpty("/ctr"));
        Assert.False(driver.Exists("/ctr"));
        Assert.True(driver.RemoveIfEmpty("/ctr"));
    }
}
