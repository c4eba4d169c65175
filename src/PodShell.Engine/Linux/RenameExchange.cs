using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>renameat2(2) with RENAME_EXCHANGE: swaps two names atomically (a directory and a symlink included), so
/// there is no moment at which either is missing. The race tests use it to swap a container-side directory for a
/// link to the host as a hostile container would, at the kernel's speed (issue 15).</summary>
internal static class RenameExchange
{
    private const int AT_FDCWD = -100;
    private const uint RENAME_EXCHANGE = 2;

    // Own import: Tmds.LibC 0.5.0 does not bind renameat2.
    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int renameat2_raw(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, uint flags);
    // Names go to the kernel as the bytes they stand for (IO.FileName), not re-encoded UTF-8.
    private static int renameat2_(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags) => renameat2_raw(olddirfd, PodShell.Engine.IO.FileName.ToNative(oldpath), newdirfd, PodShell.Engine.IO.FileName.ToNative(newpath), flags);

    public static void Swap(string a, string b)
    {
        if (renameat2_(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0)
        {
            int errno = Errno.Last;
            throw new IOException($"renameat2({a}, {b}, RENAME_EXCHANGE): {Errno.Describe(errno)}", errno);
        }
    }
}
