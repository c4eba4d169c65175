using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>Ownership and permission bits. .NET's File.SetUnixFileMode follows symlinks and has no chown.</summary>
internal static class FileOwnership
{
    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int lchown_(byte[] path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
    private static extern int chmod_(byte[] path, uint mode);

    /// <summary>Changes owner without following a final symlink.</summary>
    public static void LChown(string path, int uid, int gid)
    {
        if (lchown_(IO.FileName.ToNative(path), (uint)uid, (uint)gid) != 0)
            throw Error("lchown", path);
    }

    /// <summary>Sets all 12 permission bits (setuid/setgid/sticky included). Follows symlinks, so never call it
    /// on one. Call after LChown: chown clears setuid/setgid.</summary>
    public static void Chmod(string path, int mode)
    {
        if (chmod_(IO.FileName.ToNative(path), (uint)(mode & 0xFFF)) != 0)
            throw Error("chmod", path);
    }

    private static IOException Error(string call, string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
