using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

internal static class Errno
{
    [DllImport("libc")] private static extern IntPtr strerror(int errnum);

    public static string Describe(int errno) => $"{Marshal.PtrToStringUTF8(strerror(errno))} (errno {errno})";

    public static int Last => Marshal.GetLastWin32Error();
}
