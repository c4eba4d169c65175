using PodShell.Engine.Layers;

namespace PodShell.Engine.Tests.Layers;

public sealed class RootPathTests : IDisposable
{
    private readonly TempDir _temp = new("rootpath");
    private string Root => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("etc/passwd", "/etc/passwd")]
    [InlineData("/etc/passwd", "/etc/passwd")]
    [InlineData("../../../etc/passwd", "/etc/passwd")]
    [InlineData("a/../../b", "/b")]
    [InlineData("./x/./y/", "/x/y")]
    [InlineData("", "")]
    [InlineData("/", "")]
    public void PlainPathsStayUnderRoot(string inside, string expectedSuffix)
        => Assert.Equal(Root + expectedSuffix, RootPath.Resolve(Root, inside));

    [Fact]
    public void AbsoluteSymlinkIsClampedToRoot()
    {
        Directory.CreateDirectory(Root + "/real");
        File.CreateSymbolicLink(Root + "/link", "/real");
        File.CreateSymbolicLink(Root + "/host", "/etc");
        Assert.Equal(Root + "/real/file", RootPath.Resolve(Root, "/link/file"));
        Assert.Equal(Root + "/etc/passwd", RootPath.Resolve(Root, "host/passwd"));
    }

    [Fact]
    public void RelativeSymlinkCannotClimbOut()
    {
        Directory.CreateDirectory(Root + "/a");
        File.CreateSymbolicLink(Root + "/a/up", "../../../../..");
        Assert.Equal(Root + "/etc", RootPath.Resolve(Root, "a/up/etc"));
        File.CreateSymbolicLink(Root + "/a/sib", "../b");
        Assert.Equal(Root + "/b/c", RootPath.Resolve(Root, "a/sib/c"));
    }

    [Fact]
    public void BusyboxAppletResolvesToBusybox()
    {
        Directory.CreateDirectory(Root + "/bin");
        File.WriteAllText(Root + "/bin/busybox", "");
        File.CreateSymbolicLink(Root + "/bin/sh", "/bin/busybox");
        File.CreateSymbolicLink(Root + "/bin/ls", "busybox");
        Directory.CreateDirectory(Root + "/usr");
        File.CreateSymbolicLink(Root + "/usr/bin", "../bin");
        Assert.Equal(Root + "/bin/busybox", RootPath.Resolve(Root, "/bin/sh"));
        Assert.Equal(Root + "/bin/busybox", RootPath.Resolve(Root, "/bin/ls"));
        Assert.Equal(Root + "/bin/busybox", RootPath.Resolve(Root, "/usr/bin/sh"));
    }

    [Fact]
    public void DotDotAfterSymlinkIsTakenFromTheLinkTarget()
    {
        Directory.CreateDirectory(Root + "/x/y");
        File.CreateSymbolicLink(Root + "/l", "/x/y");
        // As the kernel does: ".." after a symlink is the parent of its target, not of the link.
        Assert.Equal(Root + "/x/z", RootPath.Resolve(Root, "l/../z"));
    }

    [Fact]
    public void SymlinkLoopThrows()
    {
        File.CreateSymbolicLink(Root + "/a", "b");
        File.CreateSymbolicLink(Root + "/b", "a");
        var e = Assert.Throws<PodShellException>(() => RootPath.Resolve(Root, "a/x"));
        Assert.Equal("TooManySymlinks", e.ErrorId);
    }
}
