using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>A directory held open by descriptor, and the *at(2) calls relative to it. Every name is one component
/// looked up in this very directory (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), so a tree a container can change while we
/// walk it (its merged or upper directory) is read and written without ever following a path it could redirect:
/// a directory swapped for a symlink meanwhile answers ELOOP or ENOTDIR instead of leading to the host.</summary>
internal sealed class DirectoryHandle : IDisposable
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int AT_REMOVEDIR = 0x200;
    private const int AT_EMPTY_PATH = 0x1000;

    // statx with Tmds.LibC's struct (FileStatus converts it); names as their bytes (IO.FileName).
    private static int statx_(int dirfd, string path, int flags, out statx buf) =>
        FileStatus.StatxAt(dirfd, PodShell.Engine.IO.FileName.ToNative(path), flags, out buf);

    // The *at calls through Tmds.LibC. Names go to the kernel as the bytes they stand for (IO.FileName), not
    // re-encoded UTF-8.
    private static unsafe long readlinkat_(int dirfd, string path, byte[] buf)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) fixed (byte* b = buf) return LibC.readlinkat(dirfd, p, b, buf.Length);
    }
    private static unsafe int mkdirat_(int dirfd, string path, uint mode)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.mkdirat(dirfd, p, (ushort)mode);
    }
    private static unsafe int symlinkat_(string target, int dirfd, string path)
    {
        fixed (byte* t = PodShell.Engine.IO.FileName.ToNative(target)) fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.symlinkat(t, dirfd, p);
    }
    private static unsafe int unlinkat_(int dirfd, string path, int flags)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.unlinkat(dirfd, p, flags);
    }
    private static unsafe int fchmodat_(int dirfd, string path, uint mode, int flags)
    {
        fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.fchmodat(dirfd, p, (ushort)mode, flags);
    }
    private static unsafe int utimensat_(int dirfd, string? path, DateTimeOffset mtime, int flags)
    {
        timespec* times = stackalloc timespec[2];
        times[0] = times[1] = FileTimes.ToTimespec(mtime);
        fixed (byte* p = path is null ? null : PodShell.Engine.IO.FileName.ToNative(path)) return LibC.utimensat(dirfd, p, times, flags);
    }

    // Own import: Tmds.LibC 0.5.0 binds none of the *xattr calls.
    [DllImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static extern nint fgetxattr_raw(int fd, byte[] name, byte[]? value, nuint size);
    // Names go to the kernel as the bytes they stand for (IO.FileName), not re-encoded UTF-8.
    private static nint fgetxattr_(int fd, string name, byte[]? value, nuint size) => fgetxattr_raw(fd, PodShell.Engine.IO.FileName.ToNative(name), value, size);

    public SafeFileHandle Handle { get; }

    private DirectoryHandle(SafeFileHandle handle) => Handle = handle;

    /// <summary>Takes ownership of a descriptor of a directory (O_PATH or readable).</summary>
    public static DirectoryHandle Adopt(SafeFileHandle handle) => new(handle);

    /// <summary>Opens a directory the engine trusts by path (the top of a walk: a layer's diff, the merged
    /// directory); everything below it goes through <see cref="OpenDirectoryAt"/>.</summary>
    public static DirectoryHandle Open(string path)
    {
        int errno = RootedPath.OpenAt(new SafeFileHandle(AT_FDCWD, ownsHandle: false), path,
            RootedPath.O_RDONLY | RootedPath.O_DIRECTORY, out var h);
        if (errno != 0) throw Error("open", path, errno);
        return new DirectoryHandle(h!);
    }

    private int Fd => (int)Handle.DangerousGetHandle();

    /// <summary>/proc/self/fd/N: this directory itself, whatever was renamed meanwhile.</summary>
    public string ProcPath => $"/proc/self/fd/{Fd}";

    /// <summary>The names in this directory (through /proc/self/fd, which is this inode, not a path).</summary>
    public List<string> Names()
    {
        // getdents64 through the descriptor's /proc link: names that are not UTF-8 come back as their bytes (IO.FileName).
        var names = RawFiles.ReadDirectory(ProcPath);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public FileStatusInfo Status() => StatusOf(Handle);

    /// <summary>lstat of one name in this directory; null when it is gone.</summary>
    public FileStatusInfo? StatAt(string name)
    {
        if (statx_(Fd, name, AT_SYMLINK_NOFOLLOW, out var st) != 0)
        {
            int errno = Errno.Last;
            if (errno is RootedPath.ENOENT or RootedPath.ENOTDIR) return null;
            throw Error("statx", name, errno);
        }
        return FileStatus.Convert(st);
    }

    /// <summary>The child directory <paramref name="name"/>, readable; ELOOP or ENOTDIR (as an IOException) when
    /// it is a symlink or no directory at the moment of the open.</summary>
    public DirectoryHandle OpenDirectoryAt(string name)
    {
        int errno = RootedPath.OpenAt(Handle, name, RootedPath.O_RDONLY | RootedPath.O_DIRECTORY | RootedPath.O_NOFOLLOW, out var h);
        if (errno != 0) throw Error("openat", name, errno);
        return new DirectoryHandle(h!);
    }

    /// <summary>Opens the regular file <paramref name="name"/> for reading and returns it with its status taken
    /// from the open descriptor (so the data and the status are of the same file). A symlink, fifo or device
    /// there is refused (IOException), never followed or blocked on.</summary>
    public FileStream OpenReadAt(string name, out FileStatusInfo status)
    {
        int errno = RootedPath.OpenAt(Handle, name,
            RootedPath.O_RDONLY | RootedPath.O_NOFOLLOW | RootedPath.O_NONBLOCK | RootedPath.O_NOCTTY, out var h);
        if (errno != 0) throw Error("openat", name, errno);
        status = StatusOf(h!);
        if (!status.IsRegularFile)
        {
            h!.Dispose();
            throw Error("openat", name, RootedPath.EINVAL);
        }
        return new FileStream(h!, FileAccess.Read, 1 << 16);
    }

    /// <summary>Creates or truncates the regular file <paramref name="name"/> for writing. O_NOFOLLOW: a symlink
    /// planted there fails with ELOOP instead of redirecting the write.</summary>
    public FileStream CreateAt(string name)
    {
        int errno = RootedPath.OpenAt(Handle, name,
            RootedPath.O_WRONLY | RootedPath.O_CREAT | RootedPath.O_TRUNC | RootedPath.O_NOFOLLOW | RootedPath.O_NONBLOCK | RootedPath.O_NOCTTY,
            out var h, 0x180);
        if (errno != 0) throw Error("openat", name, errno);
        if (!StatusOf(h!).IsRegularFile)
        {
            h!.Dispose();
            throw Error("openat", name, RootedPath.EINVAL);
        }
        return new FileStream(h!, FileAccess.Write, 1 << 16);
    }

    public void MakeDirectoryAt(string name, int mode)
    {
        if (mkdirat_(Fd, name, (uint)mode) != 0) throw Error("mkdirat", name, Errno.Last);
    }

    public void SymlinkAt(string target, string name)
    {
        if (symlinkat_(target, Fd, name) != 0) throw Error("symlinkat", name, Errno.Last);
    }

    public void UnlinkAt(string name, bool directory = false)
    {
        if (unlinkat_(Fd, name, directory ? AT_REMOVEDIR : 0) != 0) throw Error("unlinkat", name, Errno.Last);
    }

    public string ReadLinkAt(string name) => ReadLink(Handle, name);

    /// <summary>Sets the times of <paramref name="name"/> without following it.</summary>
    public void SetTimesAt(string name, DateTimeOffset mtime)
    {
        if (utimensat_(Fd, name, mtime, AT_SYMLINK_NOFOLLOW) != 0) throw Error("utimensat", name, Errno.Last);
    }

    /// <summary>Mode of this directory. An O_PATH descriptor takes no fchmod; its /proc/self/fd link is this
    /// inode (a magic link we made, not a path the container controls).</summary>
    public void SetMode(int mode) => SetMode(Handle, mode);

    public void SetTimes(DateTimeOffset mtime) => SetTimes(Handle, mtime);

    /// <summary>The value of an extended attribute of this directory (readable descriptors only), or null.</summary>
    public byte[]? GetXattr(string name)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            nint size = fgetxattr_(Fd, name, null, 0);
            if (size < 0) return null; // ENODATA, ENOTSUP: not set
            var buffer = new byte[size];
            nint read = fgetxattr_(Fd, name, buffer, (nuint)buffer.Length);
            if (read >= 0) return buffer[..(int)read];
        }
        return null;
    }

    public static void SetMode(SafeFileHandle handle, int mode)
    {
        int fd = (int)handle.DangerousGetHandle();
        if (LibC.fchmod(fd, (ushort)(mode & 0xFFF)) == 0) return;
        int errno = Errno.Last;
        if (errno != RootedPath.EBADF) throw Error("fchmod", fd.ToString(), errno);
        if (fchmodat_(AT_FDCWD, $"/proc/self/fd/{fd}", (uint)(mode & 0xFFF), 0) != 0) throw Error("chmod", fd.ToString(), Errno.Last);
    }

    public static void SetTimes(SafeFileHandle handle, DateTimeOffset mtime)
    {
        int fd = (int)handle.DangerousGetHandle();
        // utimensat with AT_EMPTY_PATH is not in every kernel; the /proc link is the descriptor's own inode.
        if (utimensat_(AT_FDCWD, $"/proc/self/fd/{fd}", mtime, 0) != 0) throw Error("utimensat", fd.ToString(), Errno.Last);
    }

    /// <summary>fstat of any descriptor, O_PATH ones included (statx with AT_EMPTY_PATH).</summary>
    public static FileStatusInfo StatusOf(SafeFileHandle handle)
    {
        if (statx_((int)handle.DangerousGetHandle(), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, out var st) != 0)
            throw Error("statx", "fd", Errno.Last);
        return FileStatus.Convert(st);
    }

    /// <summary>readlinkat(2); an empty name reads the link an O_PATH|O_NOFOLLOW descriptor holds.</summary>
    public static string ReadLink(SafeFileHandle dir, string name)
    {
        var buffer = new byte[4096];
        while (true)
        {
            long n = readlinkat_((int)dir.DangerousGetHandle(), name, buffer);
            if (n < 0) throw Error("readlinkat", name, Errno.Last);
            if (n < buffer.Length) return PodShell.Engine.IO.FileName.Decode(buffer.AsSpan(0, (int)n));
            buffer = new byte[buffer.Length * 2];
        }
    }

    /// <summary>True for the errors of a name that changed under a walk (removed, replaced by a link, a file or a
    /// fifo since it was listed): the walk skips it. Others (EACCES, EIO) are real failures.</summary>
    public static bool ChangedMeanwhile(IOException e) =>
        e.HResult is RootedPath.ENOENT or RootedPath.ENOTDIR or RootedPath.ELOOP or RootedPath.EINVAL;

    internal static IOException Error(string call, string name, int errno) =>
        new($"{call}({name}): {Errno.Describe(errno)}", errno);

    public void Dispose() => Handle.Dispose();
}
