using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PodShell.Engine.IO;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>File operations on names that may hold any byte (see <see cref="FileName"/>): System.IO would
/// re-encode an escaped byte as U+FFFD and miss the file. Layer unpacking, layer tars, diffs and tree removal use
/// these so that every name the kernel allows survives import, commit and export byte for byte.</summary>
internal static unsafe class RawFiles
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_DIRECTORY = 0x10000;
    private const int EINTR = 4, ENOENT = 2;

    // Own import: Tmds.LibC 0.5.0 does not bind getdents64 (its readdir would need opendir/DIR*, not bound either).
    [DllImport("libc", EntryPoint = "getdents64", SetLastError = true)] private static extern nint getdents64_(int fd, byte* buf, nuint count);

    // The byte[] overloads the calls below use: names go to the kernel as the bytes they stand for (IO.FileName).
    private static int open_(byte[] path, int flags, int mode) { fixed (byte* p = path) return LibC.open(p, flags, (ushort)mode); }
    private static int mkdir_(byte[] path, uint mode) { fixed (byte* p = path) return LibC.mkdir(p, (ushort)mode); }
    private static int symlink_(byte[] target, byte[] path) { fixed (byte* t = target) fixed (byte* p = path) return LibC.symlink(t, p); }
    private static long readlink_(byte[] path, byte[] buf) { fixed (byte* p = path) fixed (byte* b = buf) return LibC.readlink(p, b, buf.Length); }
    private static int unlink_(byte[] path) { fixed (byte* p = path) return LibC.unlink(p); }
    private static int rmdir_(byte[] path) { fixed (byte* p = path) return LibC.rmdir(p); }

    private static IOException Error(string call, string path)
    {
        int errno = Errno.Last;
        return errno == ENOENT
            ? new FileNotFoundException($"{call}({path}): {Marshal.GetPInvokeErrorMessage(errno)}", path)
            : new IOException($"{call}({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    public static SafeFileHandle Open(string path, int flags, int mode = 0)
    {
        int fd;
        do fd = open_(FileName.ToNative(path), flags | O_CLOEXEC, mode);
        while (fd < 0 && Errno.Last == EINTR);
        if (fd < 0) throw Error("open", path);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>A new file, O_EXCL|O_NOFOLLOW: never a file that exists, never through a symlink.</summary>
    public static FileStream CreateNew(string path, int mode = 0x180)
        => new(Open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode), FileAccess.Write, 1 << 16);

    public static FileStream OpenRead(string path)
        => new(Open(path, O_RDONLY | O_NOFOLLOW), FileAccess.Read, 1 << 16);

    public static void Mkdir(string path, int mode = 0x1ED)
    {
        if (mkdir_(FileName.ToNative(path), (uint)mode) != 0) throw Error("mkdir", path);
    }

    public static void Symlink(string target, string path)
    {
        if (symlink_(FileName.ToNative(target), FileName.ToNative(path)) != 0) throw Error("symlink", path);
    }

    /// <summary>The link's target as stored (decoded with <see cref="FileName"/>), or null when not a link.</summary>
    public static string? ReadLink(string path)
    {
        var buf = new byte[4096 + 1];
        long n = readlink_(FileName.ToNative(path), buf);
        if (n < 0) return null;
        return FileName.Decode(buf.AsSpan(0, (int)n));
    }

    public static void Unlink(string path)
    {
        if (unlink_(FileName.ToNative(path)) != 0) throw Error("unlink", path);
    }

    public static void Rmdir(string path)
    {
        if (rmdir_(FileName.ToNative(path)) != 0) throw Error("rmdir", path);
    }

    /// <summary>The names in a directory (not "." and ".."), as getdents64 gives them, decoded reversibly.</summary>
    public static List<string> ReadDirectory(string path)
    {
        var names = new List<string>();
        int fd;
        do fd = open_(FileName.ToNative(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        while (fd < 0 && Errno.Last == EINTR);
        if (fd < 0) throw Error("open", path);
        try
        {
            var buffer = new byte[32768];
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = getdents64_(fd, p, (nuint)buffer.Length);
                    if (n < 0)
                    {
                        if (Errno.Last == EINTR) continue;
                        throw Error("getdents64", path);
                    }
                    if (n == 0) break;
                    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                    for (int off = 0; off < n;)
                    {
                        int reclen = BitConverter.ToUInt16(buffer, off + 16);
                        var name = buffer.AsSpan(off + 19, reclen - 19);
                        int nul = name.IndexOf((byte)0);
                        if (nul >= 0) name = name[..nul];
                        if (!(name.Length == 1 && name[0] == '.') && !(name.Length == 2 && name[0] == '.' && name[1] == '.'))
                            names.Add(FileName.Decode(name));
                        off += reclen;
                    }
                }
            }
        }
        finally { LibC.close(fd); }
        return names;
    }

    /// <summary>Removes a tree without following symlinks (a link is unlinked, never descended into).</summary>
    public static void RemoveTree(string path)
    {
        if (FileStatus.TryLStat(path) is not { } st) return;
        if (!st.IsDirectory)
        {
            Unlink(path);
            return;
        }
        foreach (var name in ReadDirectory(path)) RemoveTree(path + "/" + name);
        Rmdir(path);
    }
}
