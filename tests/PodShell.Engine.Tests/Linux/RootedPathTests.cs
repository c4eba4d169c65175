using Microsoft.Win32.SafeHandles;
using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Linux;

/// <summary>The descriptor-based resolution inside a container root (issue 15), each case twice: through
/// openat2(RESOLVE_IN_ROOT) and through the component walk used where the kernel has no openat2.</summary>
public sealed class RootedPathTests : IDisposable
{
    private readonly TempDir _temp = new("rooted");
    private readonly TempDir _host = new("rooted-host");
    private readonly string _root;
    private readonly SafeFileHandle _rootFd;

    public RootedPathTests()
    {
        _root = Path.Combine(_temp.Path, "root");
        Directory.CreateDirectory(_root);
        _rootFd = RootedPath.OpenRoot(_root);
        File.WriteAllText(Path.Combine(_host.Path, "secret"), "host");
    }

    public void Dispose()
    {
        RootedPath.ForceWalk = false;
        _rootFd.Dispose();
        _temp.Dispose();
        _host.Dispose();
    }

    private string R(string suffix) => _root + suffix;

    /// <summary>The host path the descriptor opened for <paramref name="inside"/> names, or "errno N".</summary>
    private string Resolve(bool walk, string inside, bool followFinal = true)
    {
        RootedPath.ForceWalk = walk;
        try
        {
            int errno = RootedPath.TryOpen(_rootFd, inside, followFinal, out var h);
            if (errno != 0) return $"errno {errno}";
            using (h) return new FileInfo($"/proc/self/fd/{(int)h!.DangerousGetHandle()}").LinkTarget!;
        }
        finally { RootedPath.ForceWalk = false; }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PlainPathsAndDotDotStayInTheRoot(bool walk)
    {
        Directory.CreateDirectory(R("/etc"));
        File.WriteAllText(R("/etc/passwd"), "");
        Assert.Equal(R("/etc/passwd"), Resolve(walk, "/etc/passwd"));
        Assert.Equal(R("/etc/passwd"), Resolve(walk, "etc/passwd"));
        Assert.Equal(R("/etc/passwd"), Resolve(walk, "../../../etc/passwd"));
        Assert.Equal(R("/etc"), Resolve(walk, "/etc/../../etc/./"));
        Assert.Equal(_root, Resolve(walk, "/"));
        Assert.Equal(_root, Resolve(walk, ".."));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AbsoluteAndRelativeSymlinksAreClampedToTheRoot(bool walk)
    {
        // A link to a host directory that exists (with a file) resolves inside the root, where it does not.
        File.CreateSymbolicLink(R("/abs"), _host.Path);
        Assert.Equal("errno 2", Resolve(walk, "/abs/secret"));
        Directory.CreateDirectory(R(_host.Path));
        File.WriteAllText(R(_host.Path + "/secret"), "inside");
        Assert.Equal(R(_host.Path + "/secret"), Resolve(walk, "/abs/secret"));

        Directory.CreateDirectory(R("/a/b"));
        File.CreateSymbolicLink(R("/a/b/up"), "../../../../../../..");
        Assert.Equal(_root, Resolve(walk, "/a/b/up"));
        File.CreateSymbolicLink(R("/a/sib"), "b/../b");
        Assert.Equal(R("/a/b"), Resolve(walk, "a/sib"));
        // ".." after a link goes to the parent of where the link led.
        File.CreateSymbolicLink(R("/l"), "a/b");
        Assert.Equal(R("/a"), Resolve(walk, "/l/.."));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FinalSymlinkIsTheLinkItselfUnlessFollowed(bool walk)
    {
        File.CreateSymbolicLink(R("/link"), "/target");
        File.WriteAllText(R("/target"), "");
        Assert.Equal(R("/target"), Resolve(walk, "/link"));
        Assert.Equal(R("/link"), Resolve(walk, "/link", followFinal: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoopsAndMissingComponentsAreErrors(bool walk)
    {
        File.CreateSymbolicLink(R("/x"), "y");
        File.CreateSymbolicLink(R("/y"), "/x");
        Assert.Equal($"errno {RootedPath.ELOOP}", Resolve(walk, "/x/z"));
        Assert.Equal($"errno {RootedPath.ELOOP}", Resolve(walk, "/x"));
        Assert.Equal($"errno {RootedPath.ENOENT}", Resolve(walk, "/nothing/here"));
        File.WriteAllText(R("/file"), "");
        Assert.Equal($"errno {RootedPath.ENOTDIR}", Resolve(walk, "/file/below"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADirectoryReplacedByASymlinkBetweenCallsNeverLeadsOut(bool walk)
    {
        Directory.CreateDirectory(R("/d"));
        File.WriteAllText(R("/d/file"), "container");
        RootedPath.ForceWalk = walk;
        try
        {
            // The copy found its directory; then the container swaps it for a link to the host directory.
            var (parent, name) = TreeCopy.Locate(_rootFd, "/d/new");
            using (parent)
            {
                Directory.Move(R("/d"), R("/dt"));
                File.CreateSymbolicLink(R("/d"), _host.Path);
                using (var output = parent.CreateAt(name!)) output.WriteByte((byte)'x');
            }
            // What was written went to the directory that was looked up (now /dt), not to the host.
            Assert.True(File.Exists(R("/dt/new")));
            Assert.False(File.Exists(Path.Combine(_host.Path, "new")));
            // A new lookup of the swapped path resolves the link inside the root: nothing there.
            Assert.Equal("errno 2", Resolve(walk, "/d/secret"));
            var e = Assert.Throws<PodShellException>(() => TreeCopy.Locate(_rootFd, "/d/other"));
            Assert.Equal("DestinationParentNotFound", e.ErrorId);
        }
        finally { RootedPath.ForceWalk = false; }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CopyInAndOutGoThroughDescriptors(bool walk)
    {
        var src = Path.Combine(_temp.Path, "src");
        Directory.CreateDirectory(Path.Combine(src, "a"));
        File.WriteAllText(Path.Combine(src, "a/f"), "data");
        File.CreateSymbolicLink(Path.Combine(src, "a/l"), "/etc/passwd");
        Directory.CreateDirectory(R("/etc"));
        File.CreateSymbolicLink(R("/toetc"), "/etc");
        RootedPath.ForceWalk = walk;
        try
        {
            // A destination through a link to /etc lands in the container's /etc.
            TreeCopy.CopyIn(src, _rootFd, "/toetc/src", CancellationToken.None);
            Assert.Equal("data", File.ReadAllText(R("/etc/src/a/f")));
            Assert.Equal("/etc/passwd", new FileInfo(R("/etc/src/a/l")).LinkTarget);
            // An existing link at a file's destination is followed inside the root, never replaced by a host write.
            File.CreateSymbolicLink(R("/etc/src/a/g"), _host.Path + "/secret");
            Directory.CreateDirectory(R(_host.Path));
            File.WriteAllText(Path.Combine(src, "a/g"), "g");
            TreeCopy.CopyIn(Path.Combine(src, "a/g"), _rootFd, "/etc/src/a/g", CancellationToken.None);
            Assert.Equal("host", File.ReadAllText(Path.Combine(_host.Path, "secret")));
            Assert.Equal("g", File.ReadAllText(R(_host.Path + "/secret")));

            var back = Path.Combine(_temp.Path, "back");
            using (var node = RootedPath.Open(_rootFd, "/etc/src", followFinal: true))
                TreeCopy.CopyOut(node, back, CancellationToken.None);
            Assert.Equal("data", File.ReadAllText(Path.Combine(back, "a/f")));
            Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(back, "a/l")).LinkTarget);
            // A link inside the copied tree is copied as a link, not followed to the host.
            Assert.Equal(_host.Path + "/secret", new FileInfo(Path.Combine(back, "a/g")).LinkTarget);
        }
        finally { RootedPath.ForceWalk = false; }
    }
}
