using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>mount(2) and umount2(2). Callers turn the returned errno into a PodShellException.</summary>
internal static class MountSyscalls
{
    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EBUSY = 16;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int mount_(string source, string target, string fstype, ulong flags, string? data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static extern int umount2_(string target, int flags);

    /// <summary>Returns 0 or the errno.</summary>
    public static int Mount(string source, string target, string fsType, ulong flags, string? data)
        => mount_(source, target, fsType, flags, data) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Returns 0 or the errno.</summary>
    public static int Unmount(string target, int flags)
        => umount2_(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
