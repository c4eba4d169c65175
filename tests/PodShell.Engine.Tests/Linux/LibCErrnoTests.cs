using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Linux;

/// <summary>The calls now made through Tmds.LibC report the errno of the call itself (its imports are SetLastError
/// and <c>LibC.errno</c> reads the runtime's saved value): alternating failures with different errnos shows none of
/// them is a stale value from the call before. The callers decide on these values (retry, fallback, already gone).</summary>
public sealed class LibCErrnoTests : IDisposable
{
    private readonly TempDir _temp = new("libc-errno");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Rmdir_reports_each_calls_own_errno()
    {
        var full = Path.Combine(_temp.Path, "full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "f"), "x");
        var file = Path.Combine(_temp.Path, "file");
        File.WriteAllText(file, "x");
        var missing = Path.Combine(_temp.Path, "missing");

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(CgroupDirectory.ENOENT, CgroupDirectory.Remove(missing));
            Assert.Equal(CgroupDirectory.ENOTEMPTY, CgroupDirectory.Remove(full));
            Assert.Equal(20 /* ENOTDIR */, CgroupDirectory.Remove(file));
        }
        var empty = Path.Combine(_temp.Path, "empty");
        Directory.CreateDirectory(empty);
        Assert.Equal(0, CgroupDirectory.Remove(empty));
        Assert.False(Directory.Exists(empty));
    }

    [Fact]
    public void Failed_calls_carry_their_errno_and_text()
    {
        var existing = Path.Combine(_temp.Path, "existing");
        File.WriteAllText(existing, "x");
        // mknod of a fifo over an existing name: EEXIST, then a missing parent: ENOENT.
        Assert.Equal(17 /* EEXIST */, FileNodes.TryMknod(existing, FileNodes.S_IFIFO | 0x1A4, 0, 0));
        Assert.Equal(2 /* ENOENT */, FileNodes.TryMknod(Path.Combine(_temp.Path, "no/such"), FileNodes.S_IFIFO | 0x1A4, 0, 0));
        var e = Assert.Throws<FileNotFoundException>(() => RawFiles.Open(Path.Combine(_temp.Path, "absent"), RawFiles.O_RDONLY));
        Assert.Contains("No such file or directory", e.Message);
        var link = Assert.Throws<IOException>(() => FileNodes.Link(Path.Combine(_temp.Path, "absent"), Path.Combine(_temp.Path, "l")));
        Assert.Equal(2, link.HResult);
        Assert.Equal("No such file or directory (errno 2)", Errno.Describe(2));
    }

    [MachineFact(Needs.Root)]
    public void Umount_of_a_directory_that_is_no_mount_point_is_einval()
    {
        Assert.Equal(MountSyscalls.EINVAL, MountSyscalls.Unmount(_temp.Path, 0));
        Assert.Equal(MountSyscalls.ENOENT, MountSyscalls.Unmount(Path.Combine(_temp.Path, "missing"), 0));
    }
}
