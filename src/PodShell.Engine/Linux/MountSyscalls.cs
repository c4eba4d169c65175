using System.Runtime.InteropServices;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>mount(2) and umount2(2). Callers turn the returned errno into a PodShellException.</summary>
internal static unsafe class MountSyscalls
{
    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EBUSY = 16;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;

    /// <summary>Returns 0 or the errno.</summary>
    public static int Mount(string source, string target, string fsType, ulong flags, string? data)
    {
        fixed (byte* s = IO.FileName.ToNative(source))
        fixed (byte* t = IO.FileName.ToNative(target))
        fixed (byte* f = IO.FileName.ToNative(fsType))
        fixed (byte* d = data is null ? null : IO.FileName.ToNative(data))
            return LibC.mount(s, t, f, (ulong_t)flags, d) == 0 ? 0 : Errno.Last;
    }

    /// <summary>Returns 0 or the errno.</summary>
    public static int Unmount(string target, int flags)
    {
        fixed (byte* t = IO.FileName.ToNative(target))
            return LibC.umount2(t, flags) == 0 ? 0 : Errno.Last;
    }

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
