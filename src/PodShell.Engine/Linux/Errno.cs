using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

internal static class Errno
{
    /// <summary>strerror's text through the runtime (Marshal.GetPInvokeErrorMessage calls strerror_r), so no libc
    /// binding of our own is needed for it.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>errno of the last call. Tmds.LibC's imports are SetLastError (the runtime saves errno right after the
    /// call) and <c>Tmds.Linux.LibC.errno</c> reads that same saved value, as do our own SetLastError imports: one
    /// reader serves both.</summary>
    public static int Last => Tmds.Linux.LibC.errno;
}
