using PodShell.Engine.Images;

namespace PodShell.Engine.Tests.EngineFacade;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", false)]
    [InlineData("busybox:1.36", true)]
    [InlineData("library/busybox", false)]
    [InlineData("localhost:5000/busybox", false)]
    [InlineData("localhost:5000/busybox:1", true)]
    [InlineData("busybox@sha256:abcd", true)]
    public void HasTag_LooksOnlyAfterTheLastSlash(string name, bool expected) =>
        Assert.Equal(expected, ImageReference.HasTag(name));

    [Theory]
    [InlineData("busybox", "busybox:latest")]
    [InlineData("busybox:1.36", "busybox:1.36")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("localhost:5000/app", "localhost:5000/app:latest")]
    public void Normalize_AddsLatestWhenNoTag(string name, string expected) =>
        Assert.Equal(expected, ImageReference.Normalize(name));

    [Fact]
    public void Candidates_CoverLatestAndTheLocalhostPrefix()
    {
        Assert.Equal(new[] { "busybox", "busybox:latest", "localhost/busybox:latest" }, ImageReference.Candidates("busybox").Take(3));
        Assert.Equal(new[] { "app:2", "app:2", "localhost/app:2" }, ImageReference.Candidates("app:2").Take(3));
        Assert.Equal(new[] { "localhost/app", "localhost/app:latest", "app:latest" }, ImageReference.Candidates("localhost/app").Take(3));
        // a short name also finds what a pull named in full
        Assert.Contains("docker.io/library/busybox:latest", ImageReference.Candidates("busybox"));
    }

    [Theory]
    [InlineData("busybox")]
    [InlineData("busybox:latest")]
    [InlineData("localhost/my-app:v1.2_rc")]
    [InlineData("a.b/c_d/e-f:TAG")]
    [InlineData("x1:_")]
    public void IsValid_AcceptsLocalNames(string name) => Assert.True(ImageReference.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("BusyBox")]
    [InlineData("busybox:")]
    [InlineData("-busybox")]
    [InlineData("a//b")]
    [InlineData("a b")]
    [InlineData("busybox:.tag")]
    [InlineData("busybox:latest:again")]
    public void IsValid_RejectsOthers(string name) => Assert.False(ImageReference.IsValid(name));

    /// <summary>.NET's "$" also matches before a final newline, so "busybox:1\n" would be accepted by
    /// Import-ContainerImage (Normalize keeps names that have a tag).</summary>
    [Theory]
    [InlineData("busybox:1\n")]
    [InlineData("busybox\n")]
    public void IsValid_RejectsATrailingNewline(string name) => Assert.False(ImageReference.IsValid(name));

    [Fact]
    public void IsValid_RejectsAnOverlongTag() =>
        Assert.False(ImageReference.IsValid("busybox:" + new string('a', 129)));
}
