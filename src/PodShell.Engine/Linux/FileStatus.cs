using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>What lstat tells and .NET does not (owner, inode, link count, device numbers).</summary>
internal readonly record struct FileStatusInfo(
    int Mode, int Uid, int Gid, ulong Inode, uint DevMajor, uint DevMinor, uint LinkCount, long Size,
    uint RdevMajor, uint RdevMinor, long MtimeSeconds, uint MtimeNanoseconds)
{
    public int FileType => Mode & 0xF000;
    public int Permissions => Mode & 0xFFF;
    public bool IsDirectory => FileType == 0x4000;
    public bool IsRegularFile => FileType == 0x8000;
    public bool IsSymlink => FileType == 0xA000;
    public bool IsCharDevice => FileType == 0x2000;
    public bool IsBlockDevice => FileType == 0x6000;
    public bool IsFifo => FileType == 0x1000;
    public bool IsSocket => FileType == 0xC000;
    public DateTimeOffset ModificationTime
        => DateTimeOffset.UnixEpoch.AddTicks(MtimeSeconds * TimeSpan.TicksPerSecond + MtimeNanoseconds / 100);
}

/// <summary>statx(2) rather than stat(2): its struct layout is the same on every architecture.</summary>
internal static unsafe class FileStatus
{
    private const uint STATX_BASIC_STATS = 0x7ff;
    private const int PATH_MAX = 4096;
    public const int ENOENT = 2;
    public const int ENOTDIR = 20;
    public const int ELOOP = 40;

    // Own import: Tmds.LibC 0.5.0 does not bind realpath(3) (a libc function, not a system call).
    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern byte* realpath_(byte* path, byte* resolved);

    /// <summary>statx(2) with the basic stats, for the descriptor-relative callers (DirectoryHandle).</summary>
    internal static int StatxAt(int dirfd, byte[] path, int flags, out statx buf)
    {
        fixed (byte* p = path)
        fixed (statx* b = &buf)
            return LibC.statx(dirfd, p, flags, STATX_BASIC_STATS, b);
    }

    internal static FileStatusInfo Convert(in statx st) =>
        new(st.stx_mode, (int)st.stx_uid, (int)st.stx_gid, st.stx_ino, st.stx_dev_major, st.stx_dev_minor, st.stx_nlink,
            (long)st.stx_size, st.stx_rdev_major, st.stx_rdev_minor, st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec);

    /// <summary>lstat semantics. Null when nothing is there (ENOENT, or ENOTDIR because a parent is not a dir).</summary>
    public static FileStatusInfo? TryLStat(string path)
    {
        if (StatxAt(LibC.AT_FDCWD, IO.FileName.ToNative(path), LibC.AT_SYMLINK_NOFOLLOW, out var st) != 0)
        {
            int errno = Errno.Last;
            if (errno is ENOENT or ENOTDIR) return null;
            throw new IOException($"statx({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return Convert(st);
    }

    /// <summary>stat semantics (symlinks followed). Null when nothing is there, a link dangles or loops
    /// (ENOENT, ENOTDIR, ELOOP).</summary>
    public static FileStatusInfo? TryStat(string path)
    {
        if (StatxAt(LibC.AT_FDCWD, IO.FileName.ToNative(path), 0, out var st) != 0)
        {
            int errno = Errno.Last;
            if (errno is ENOENT or ENOTDIR or ELOOP) return null;
            throw new IOException($"statx({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return Convert(st);
    }

    /// <summary>True when <paramref name="path"/> exists, is owned by <paramref name="uid"/> and has the owner
    /// write bit. The mode bits, not access(2): the question is what that uid may do, not what the caller (often
    /// root, which access(2) always answers yes) may do.</summary>
    public static bool IsOwnerWritable(string path, int uid) =>
        TryLStat(path) is { } st && st.Uid == uid && (st.Permissions & 0x80) != 0;

    /// <summary>realpath(3), or null when the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        // A PATH_MAX buffer of our own, so nothing is allocated by libc (and no free(3) is needed).
        byte* resolved = stackalloc byte[PATH_MAX];
        fixed (byte* p = IO.FileName.ToNative(path))
        {
            if (realpath_(p, resolved) == null) return null;
        }
        var bytes = new ReadOnlySpan<byte>(resolved, PATH_MAX);
        return IO.FileName.Decode(bytes[..bytes.IndexOf((byte)0)]);
    }
}
