using PodShell.Engine.Cgroups;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Cgroups;

public class CgroupHostTests
{
    private static Func<string, long?> Magic(params (string Path, long Magic)[] entries)
    {
        var map = entries.ToDictionary(e => e.Path, e => e.Magic);
        return p => map.TryGetValue(p, out var m) ? m : null;
    }

    [Fact]
    public void Detect_Cgroup2RootIsV2()
    {
        Assert.Equal(CgroupMode.V2, CgroupHost.Detect("/cg", Magic(("/cg", FileSystemMagic.Cgroup2))));
    }

    [Fact]
    public void Detect_TmpfsRootIsV1()
    {
        Assert.Equal(CgroupMode.V1, CgroupHost.Detect("/cg", Magic(("/cg", FileSystemMagic.Tmpfs))));
        Assert.Equal(CgroupMode.V1, CgroupHost.Detect("/cg", Magic(("/cg", FileSystemMagic.Tmpfs), ("/cg/unified", FileSystemMagic.Tmpfs))));
    }

    [Fact]
    public void Detect_TmpfsRootWithCgroup2UnifiedIsHybrid()
    {
        Assert.Equal(CgroupMode.Hybrid,
            CgroupHost.Detect("/cg", Magic(("/cg", FileSystemMagic.Tmpfs), ("/cg/unified", FileSystemMagic.Cgroup2))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Detect_MissingOrForeignRootIsCgroupsNotMounted(bool exists)
    {
        var magic = exists ? Magic(("/cg", 0xEF53)) : Magic();
        var e = Assert.Throws<PodShellException>(() => CgroupHost.Detect("/cg", magic));
        Assert.Equal("CgroupsNotMounted", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
    }

    [Fact]
    public void Detect_AgreesWithTheMountTable()
    {
        // statfs against what /proc/self/mountinfo says is mounted, whichever layout this machine has.
        var root = Machine.MountType("/sys/fs/cgroup");
        var expected = root == "cgroup2" ? CgroupMode.V2
            : Machine.MountType("/sys/fs/cgroup/unified") == "cgroup2" ? CgroupMode.Hybrid : CgroupMode.V1;
        Assert.NotNull(root);
        Assert.Equal(expected, CgroupHost.Detect());
    }

    [Fact]
    public void FileSystemMagic_ReadsRealFilesystems()
    {
        var magicOfType = new Dictionary<string, long> { ["cgroup2"] = FileSystemMagic.Cgroup2, ["tmpfs"] = FileSystemMagic.Tmpfs, ["cgroup"] = FileSystemMagic.Cgroup };
        var seen = 0;
        foreach (var mountPoint in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/dev/shm" })
        {
            if (Machine.MountType(mountPoint) is not { } type) continue;
            Assert.Equal(magicOfType[type], FileSystemMagic.Of(mountPoint));
            seen++;
        }
        Assert.True(seen >= 2, "/sys/fs/cgroup and /dev/shm are mounted on every machine the tests run on");
        Assert.Null(FileSystemMagic.Of("/nonexistent-" + Guid.NewGuid()));
    }

    [Theory]
    [InlineData(CgroupMode.V1, 1, typeof(CgroupV1Driver))]
    [InlineData(CgroupMode.Hybrid, 1, typeof(CgroupV1Driver))]
    [InlineData(CgroupMode.V2, 2, typeof(CgroupV2Driver))]
    public void CreateDriver_MatchesTheMode(CgroupMode mode, int version, Type type)
    {
        var driver = CgroupHost.CreateDriver(mode);
        Assert.IsType(type, driver);
        Assert.Equal(mode, driver.Mode);
        Assert.Equal(version, driver.Version);
    }
}
