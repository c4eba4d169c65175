using PodShell.Engine.Configuration;
using PodShell.Engine.Network;

namespace PodShell.Engine.Tests.Configuration;

/// <summary>ContainerConfig.FromOptions: every option New-Container takes, good values typed, bad ones refused with
/// the ErrorId New-Container has always given (the same ids the Pester files and docs/errors.md name).</summary>
public sealed class ContainerConfigOptionsTests
{
    private const int HostCpus = 4;

    private static ContainerConfig Parse(Action<CreateOptions> set)
    {
        var o = new CreateOptions { Image = "busybox" };
        set(o);
        return ContainerConfig.FromOptions(o, HostCpus);
    }

    public static TheoryData<string, Action<CreateOptions>> Refused => new()
    {
        { "InvalidCpus", o => o.Cpus = 0 },
        { "InvalidCpus", o => o.Cpus = -1 },
        { "InvalidCpus", o => o.Cpus = double.NaN },
        { "InvalidCpus", o => o.Cpus = double.PositiveInfinity },
        { "InvalidCpus", o => o.Cpus = HostCpus + 1 },
        { "InvalidMemory", o => o.Memory = 6 * 1024 * 1024 - 1 },
        { "InvalidMemory", o => o.Memory = 0 },
        { "InvalidMemory", o => o.Memory = -1 },
        { "InvalidShmSize", o => o.ShmSize = 0 },
        { "InvalidLogSizeMax", o => o.LogSizeMax = 100 },
        { "InvalidContainerName", o => o.Name = "-web" },
        { "InvalidContainerName", o => o.Name = new string('n', 254) },
        { "InvalidHostname", o => o.Hostname = "with space" },
        { "InvalidSignal", o => o.StopSignal = "SIGNOPE" },
        { "InvalidPublish", o => o.Publish = ["80"] },
        { "InvalidPublish", o => o.Publish = ["8080:80/sctp"] },
        { "InvalidPublish", o => o.Publish = ["70000:80"] },
        { "InvalidPublish", o => o.Publish = ["9000-9002:9000-9001"] },
        { "InvalidPublish", o => o.Publish = ["nothost:8080:80"] },
        { "InvalidVolumeSpec", o => o.Volumes = ["/tmp"] },
        { "InvalidVolumeSpec", o => o.Volumes = ["/a:relative"] },
        { "InvalidVolumeSpec", o => o.Volumes = ["/a:/"] },
        { "InvalidVolumeSpec", o => o.Volumes = ["/a:/b:ro:x"] },
        { "InvalidVolumeSpec", o => o.Volumes = ["/a:/b:ro,rw"] },
        { "InvalidVolumeName", o => o.Volumes = ["bad$name:/b"] },
        { "InvalidVolumeOption", o => o.Volumes = ["/a:/b:sideways"] },
        { "MountDestinationNotAllowed", o => o.Volumes = ["/a:/proc"] },
        { "DuplicateMountDestination", o => o.Volumes = ["/a:/data", "vol:/data"] },
        { "InvalidTmpfs", o => o.Tmpfs = ["relative"] },
        { "MountDestinationNotAllowed", o => o.Tmpfs = ["/proc/sys"] },
        { "InvalidUlimit", o => o.Ulimits = ["nofile"] },
        { "InvalidUlimit", o => o.Ulimits = ["bogus=1"] },
        { "InvalidUlimit", o => o.Ulimits = ["nofile=2048:1024"] },
        { "InvalidNamespaceMode", o => o.Pid = "bridge" },
        { "InvalidNamespaceMode", o => o.Ipc = "none" },
        { "InvalidNamespaceMode", o => o.Uts = "web" },
        { "InvalidNetworkMode", o => o.Pid = "container:" },
        { "InvalidNetworkMode", o => o.Network = "container:" },
        { "InvalidCapability", o => o.CapAdd = ["CAP_NOPE"] },
        { "InvalidDevice", o => o.Devices = ["/dev/fuse:/dev/fuse:rwx"] },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void BadOption_IsRefusedWithItsErrorId(string errorId, Action<CreateOptions> set)
    {
        var e = Assert.Throws<PodShellException>(() => Parse(set));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Resources_AreTyped_WithDefaultsForWhatIsLeftOut()
    {
        var none = Parse(_ => { });
        Assert.Null(none.Resources.MemoryMax);
        Assert.Null(none.Resources.Cpus);
        Assert.Equal(ContainerResources.DefaultPidsLimit, none.Resources.PidsMax);
        Assert.Equal(ContainerEngine.DefaultPidsLimit, none.Resources.PidsMax);
        Assert.Equal(64L << 20, none.Resources.ShmSize);
        Assert.Equal(10L << 20, none.LogSizeMax);

        var set = Parse(o => { o.Memory = 6 * 1024 * 1024; o.Cpus = HostCpus; o.PidsLimit = 50; o.ShmSize = 1; o.LogSizeMax = -1; });
        Assert.Equal((6L * 1024 * 1024, (double)HostCpus, 50L, 1L), (set.Resources.MemoryMax!.Value, set.Resources.Cpus!.Value, set.Resources.PidsMax!.Value, set.Resources.ShmSize));
        Assert.Null(set.LogSizeMax);
        Assert.Null(Parse(o => o.PidsLimit = 0).Resources.PidsMax);
        Assert.Null(Parse(o => o.PidsLimit = -1).Resources.PidsMax);
    }

    [Fact]
    public void Ports_AreParsedMappings()
    {
        var c = Parse(o => o.Publish = ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp", "[::1]:53:53/UDP", "8443:443/tcp"]);
        Assert.Equal(new[]
        {
            new PortMapping("127.0.0.1", 8080, 80, 1, "tcp"),
            new PortMapping("", 9000, 9000, 2, "udp"),
            new PortMapping("::1", 53, 53, 1, "udp"),
            new PortMapping("", 8443, 443, 1, "tcp"),
        }, c.Ports);
    }

    [Fact]
    public void Mounts_AreParsedSpecs()
    {
        var c = Parse(o => o.Volumes = ["/srv//data/:/data", "cache:/var/cache:ro,rshared,nodev"]);
        Assert.Equal(("/srv/data", "/data", true, false, "rprivate"), (c.Mounts[0].Source, c.Mounts[0].Destination, c.Mounts[0].IsBind, c.Mounts[0].ReadOnly, c.Mounts[0].Propagation));
        Assert.Equal(("cache", "/var/cache", false, true, "rshared"), (c.Mounts[1].Source, c.Mounts[1].Destination, c.Mounts[1].IsBind, c.Mounts[1].ReadOnly, c.Mounts[1].Propagation));
        Assert.Equal(new[] { "nodev" }, c.Mounts[1].Flags);
        Assert.Equal("/srv//data/:/data", c.Mounts[0].Spec);
    }

    [Fact]
    public void Ulimits_AreParsedValues()
    {
        var c = Parse(o => o.Ulimits = ["nofile=1024:2048", "nproc=512", "RLIMIT_CORE=-1"]);
        Assert.Equal(new[] { "nofile=1024:2048", "nproc=512:512", "core=-1:-1" }, c.Ulimits.Select(u => u.ToString()));
        Assert.Equal(ulong.MaxValue, c.Ulimits[2].Hard);
    }

    [Theory]
    [InlineData(null, NamespaceModeKind.Private, "", "private")]
    [InlineData("private", NamespaceModeKind.Private, "", "private")]
    [InlineData("host", NamespaceModeKind.Host, "", "host")]
    [InlineData("container:web", NamespaceModeKind.Container, "web", "container:web")]
    public void NamespaceModes_AreTyped(string? text, NamespaceModeKind kind, string target, string shown)
    {
        var c = Parse(o => { o.Pid = text; o.Ipc = text; o.Uts = text; });
        foreach (var m in new[] { c.PidMode, c.IpcMode, c.UtsMode })
        {
            Assert.Equal(new NamespaceMode(kind, target), m);
            Assert.Equal(shown, m.ToString());
        }
    }

    [Fact]
    public void CapabilitiesAndDevices_AreNormalized()
    {
        var c = Parse(o => { o.CapAdd = ["net_admin", "CAP_NET_ADMIN"]; o.CapDrop = ["mknod"]; o.Devices = ["/dev/fuse"]; });
        Assert.Equal(new[] { "CAP_NET_ADMIN" }, c.CapAdd);
        Assert.Equal(new[] { "CAP_MKNOD" }, c.CapDrop);
        Assert.Equal(new[] { "/dev/fuse:/dev/fuse:rwm" }, c.Devices);
    }
}
