using System.Runtime.InteropServices;

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
internal static class FileStatus
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_BASIC_STATS = 0x7ff;
    public const int ENOENT = 2;
    public const int ENOTDIR = 20;
    public const int ELOOP = 40;

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct Statx
    {
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int statx_(int dirfd, byte[] path, int flags, uint mask, out Statx buf);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern nint realpath_(string path, nint resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void free_(nint ptr);

    /// <summary>statx(2) with the basic stats, for the descriptor-relative callers (DirectoryHandle).</summary>
    internal static int StatxAt(int dirfd, byte[] path, int flags, out Statx buf) =>
        statx_(dirfd, path, flags, STATX_BASIC_STATS, out buf);

    internal static FileStatusInfo Convert(in Statx st) =>
        new(st.Mode, (int)st.Uid, (int)st.Gid, st.Ino, st.DevMajor, st.DevMinor, st.Nlink,
            (long)st.Size, st.RdevMajor, st.RdevMinor, st.MtimeSec, st.MtimeNsec);

    /// <summary>lstat semantics. Null when nothing is there (ENOENT, or ENOTDIR because a parent is not a dir).</summary>
    public static FileStatusInfo? TryLStat(string path)
    {
        if (statx_(AT_FDCWD, IO.FileName.ToNative(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out var st) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return null;
            throw new IOException($"statx({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return Convert(st);
    }

    /// <summary>stat semantics (symlinks followed). Null when nothing is there, a link dangles or loops
    /// (ENOENT, ENOTDIR, ELOOP).</summary>
    public static FileStatusInfo? TryStat(string path)
    {
        if (statx_(AT_FDCWD, IO.FileName.ToNative(path), 0, STATX_BASIC_STATS, out var st) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
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
        nint p = realpath_(path, 0);
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { free_(p); }
    }
}
