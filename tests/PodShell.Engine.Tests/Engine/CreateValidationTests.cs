using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Engine;

/// <summary>Issue 15 item 7: requests that used to be accepted by New-Container and fail only at start with
/// runc's text (RuntimeCreateFailed) are refused at create, each with its own ErrorId, naming the bad value,
/// and leave no record, layer or mount behind.</summary>
public sealed class CreateValidationTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public CreateValidationTests(EngineFixture fx) => _fx = fx;

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private PodShellException Refused(CreateOptions o)
    {
        o.Image = "busybox";
        o.Command ??= new[] { "true" };
        var records = Engine.Store.ListContainers().Count;
        var mounts = _fx.MountsUnderRoot().Count;
        var e = Assert.Throws<PodShellException>(() =>
        {
            var c = Engine.CreateContainer(o);
            Engine.RemoveContainer(c.Id, force: true); // accepted: nothing may stay behind a failing test
        });
        Assert.Equal(records, Engine.Store.ListContainers().Count);
        Assert.Equal(mounts, _fx.MountsUnderRoot().Count);
        return e;
    }

    private void Accepted(CreateOptions o)
    {
        o.Image = "busybox";
        o.Command ??= new[] { "true" };
        var c = Engine.CreateContainer(o);
        Engine.RemoveContainer(c.Id, force: true);
    }

    [Fact]
    public void BindSource_ThatIsADanglingSymlink_IsBindSourceNotFound()
    {
        var link = Path.Combine(_fx.Root, "dangling-" + Guid.NewGuid().ToString("N")[..8]);
        File.CreateSymbolicLink(link, link + "-target-that-does-not-exist");
        try
        {
            var e = Refused(new CreateOptions { Name = UniqueName("dangle"), Volumes = new[] { link + ":/data" } });
            Assert.Equal("BindSourceNotFound", e.ErrorId);
            Assert.Equal(link, e.Target);
            Assert.Contains("does not exist", e.Message);
        }
        finally { File.Delete(link); }
    }

    [Fact]
    public void Hostname_LongerThanHostNameMax_IsInvalidHostname()
    {
        var name = new string('h', 300);
        var e = Refused(new CreateOptions { Name = UniqueName("host"), Hostname = name });
        Assert.Equal("InvalidHostname", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal(name, e.Target);
        Assert.Contains("64", e.Message);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("a/b")]
    [InlineData("-leading")]
    [InlineData("a..b")]
    public void Hostname_WithCharactersNoHostNameHas_IsInvalidHostname(string hostname)
    {
        var e = Refused(new CreateOptions { Name = UniqueName("host"), Hostname = hostname });
        Assert.Equal("InvalidHostname", e.ErrorId);
    }

    [Fact]
    public void Hostname_Of64Characters_AndDottedNames_AreAccepted()
    {
        Accepted(new CreateOptions { Name = UniqueName("host"), Hostname = new string('h', 31) + "." + new string('h', 32) });
        Accepted(new CreateOptions { Name = UniqueName("host"), Hostname = "web-1.example_lan.internal" });
    }

    [Theory]
    [InlineData("/proc")]
    [InlineData("/proc/sys")]
    [InlineData("/proc/self/")]
    public void Tmpfs_OverProc_IsMountDestinationNotAllowed(string destination)
    {
        var e = Refused(new CreateOptions { Name = UniqueName("tmpfs"), Tmpfs = new[] { destination } });
        Assert.Equal("MountDestinationNotAllowed", e.ErrorId);
        Assert.Equal(destination, e.Target);
    }

    [Fact]
    public void Volume_OverProc_IsMountDestinationNotAllowed()
    {
        var dir = Path.Combine(_fx.Root, "procbind-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var e = Refused(new CreateOptions { Name = UniqueName("vol"), Volumes = new[] { dir + ":/proc" } });
        Assert.Equal("MountDestinationNotAllowed", e.ErrorId);
        Assert.Equal(dir + ":/proc", e.Target);
        var named = Refused(new CreateOptions { Name = UniqueName("vol"), Volumes = new[] { UniqueName("v") + ":/proc/x" } });
        Assert.Equal("MountDestinationNotAllowed", named.ErrorId);
    }

    [Fact]
    public void Volume_OverAProcFileRuncAllows_AndOverDevAndSys_AreAccepted()
    {
        // runc lets a bind mount cover /proc/meminfo (lxcfs does it); /dev and /sys binds are common and allowed.
        Accepted(new CreateOptions { Name = UniqueName("vol"), Volumes = new[] { "/proc/meminfo:/proc/meminfo:ro", "/sys:/sys:ro" } });
        Accepted(new CreateOptions { Name = UniqueName("vol"), Tmpfs = new[] { "/dev/x" } });
    }

    [Fact]
    public void Name_Of5000Characters_IsInvalidContainerName_AndTheMessageStaysShort()
    {
        var name = new string('n', 5000);
        var e = Refused(new CreateOptions { Name = name });
        Assert.Equal("InvalidContainerName", e.ErrorId);
        Assert.Equal(name, e.Target);
        Assert.True(e.Message.Length < 400, e.Message);
        Assert.Contains("253", e.Message);
    }

    [Fact]
    public void Name_Of253Characters_IsAccepted()
    {
        Accepted(new CreateOptions { Name = "n" + Guid.NewGuid().ToString("N") + new string('n', 253 - 33) });
    }
}
