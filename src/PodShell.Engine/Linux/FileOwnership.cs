using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Ownership and permission bits. .NET's File.SetUnixFileMode follows symlinks and has no chown.</summary>
internal static unsafe class FileOwnership
{
    /// <summary>Changes owner without following a final symlink.</summary>
    public static void LChown(string path, int uid, int gid)
    {
        fixed (byte* p = IO.FileName.ToNative(path))
            if (LibC.lchown(p, (uint)uid, (uint)gid) != 0)
                throw Error("lchown", path);
    }

    /// <summary>Sets all 12 permission bits (setuid/setgid/sticky included). Follows symlinks, so never call it
    /// on one. Call after LChown: chown clears setuid/setgid.</summary>
    public static void Chmod(string path, int mode)
    {
        fixed (byte* p = IO.FileName.ToNative(path))
            if (LibC.chmod(p, (ushort)(mode & 0xFFF)) != 0)
                throw Error("chmod", path);
    }

    private static IOException Error(string call, string path)
    {
        int errno = Errno.Last;
        return new IOException($"{call}({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
