namespace PodShell.Engine.Tests.Volumes;

public sealed class VolumeMountSpecTests
{
    [Fact]
    public void HostPath_IsABind_WithPodmansDefaultOptions()
    {
        var s = VolumeMountSpec.Parse("/srv/data:/data");
        Assert.True(s.IsBind);
        Assert.Equal("/srv/data", s.Source);
        Assert.Equal("/data", s.Destination);
        Assert.False(s.ReadOnly);
        Assert.Equal(new[] { "rbind", "rprivate" }, s.MountOptions());
    }

    [Fact]
    public void Name_IsANamedVolume_AndRoAddsRo()
    {
        var s = VolumeMountSpec.Parse("cache:/var/cache:ro");
        Assert.False(s.IsBind);
        Assert.Equal("cache", s.Source);
        Assert.True(s.ReadOnly);
        Assert.Equal(new[] { "rbind", "rprivate", "ro" }, s.MountOptions());
    }

    [Fact]
    public void Options_PropagationBindAndFlags_AreKept()
    {
        var s = VolumeMountSpec.Parse("/a:/b:rw,bind,rslave,nosuid,noexec,Z");
        Assert.False(s.ReadOnly);
        Assert.Equal(new[] { "bind", "rslave", "nosuid", "noexec" }, s.MountOptions());
    }

    [Theory]
    [InlineData("/srv//x/../data/:/data//sub/./", "/srv/data", "/data/sub")]
    [InlineData("/:/host", "/", "/host")]
    public void Paths_AreCleanedLikeGo(string spec, string source, string destination)
    {
        var s = VolumeMountSpec.Parse(spec);
        Assert.Equal(source, s.Source);
        Assert.Equal(destination, s.Destination);
    }

    [Theory]
    [InlineData("/data", "InvalidVolumeSpec")]          // anonymous volume
    [InlineData("/a:/b:ro:x", "InvalidVolumeSpec")]
    [InlineData(":/b", "InvalidVolumeSpec")]
    [InlineData("/a:relative", "InvalidVolumeSpec")]
    [InlineData("/a:/", "InvalidVolumeSpec")]
    [InlineData("/a:/..", "InvalidVolumeSpec")]
    [InlineData("./dir:/b", "InvalidVolumeSpec")]
    [InlineData("/a:/b:ro,rw", "InvalidVolumeSpec")]
    [InlineData("/a:/b:shared,private", "InvalidVolumeSpec")]
    [InlineData("/a:/b:bogus", "InvalidVolumeOption")]
    [InlineData("bad name:/b", "InvalidVolumeName")]
    [InlineData("-dash:/b", "InvalidVolumeName")]
    public void BadSpecs_AreRefusedWithAStableErrorId(string spec, string errorId)
    {
        var e = Assert.Throws<PodShellException>(() => VolumeMountSpec.Parse(spec));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }
}
