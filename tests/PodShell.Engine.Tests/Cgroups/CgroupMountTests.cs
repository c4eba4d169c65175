using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Tests.Cgroups;

public class CgroupMountTests
{
    [Fact]
    public void Parse_V1LineKeepsControllersAndDropsMountOptions()
    {
        var m = CgroupMount.Parse("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct");
        Assert.NotNull(m);
        Assert.Equal("0:29", m!.Device);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", m.MountPoint);
        Assert.Equal(new[] { "cpu", "cpuacct" }, m.Controllers);
        Assert.False(m.IsV2);
    }

    [Fact]
    public void Parse_NamedHierarchyAndEscapedMountPoint()
    {
        var m = CgroupMount.Parse("40 31 0:37 /sub /mnt/my\\040cgroups rw - cgroup cgroup rw,xattr,name=systemd");
        Assert.Equal(new[] { "name=systemd" }, m!.Controllers);
        Assert.Equal("/mnt/my cgroups", m.MountPoint);
        Assert.Equal("/sub", m.Root);
        Assert.Equal("/mnt/my cgroups/x", m.DirectoryFor("/sub/x"));
        Assert.Equal("/mnt/my cgroups", m.DirectoryFor("/sub"));
        Assert.Null(m.DirectoryFor("/subway/x"));
    }

    [Fact]
    public void Parse_IgnoresOtherFilesystems()
    {
        Assert.Null(CgroupMount.Parse("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755"));
        Assert.Null(CgroupMount.Parse("garbage"));
        Assert.True(CgroupMount.Parse("41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw")!.IsV2);
    }

    [Fact]
    public void ReadAll_OnThisHostFindsTheV1Hierarchies()
    {
        var mounts = CgroupMount.ReadAll("/proc");
        var controllers = mounts.SelectMany(m => m.Controllers).ToHashSet();
        Assert.Contains("memory", controllers);
        Assert.Contains("pids", controllers);
        Assert.Contains("cpu", controllers);
        Assert.Contains("cpuacct", controllers);
    }
}
