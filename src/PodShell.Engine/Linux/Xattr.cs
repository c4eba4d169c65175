using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>Extended attributes on a path without following a final symlink (the l* variants):
/// overlay whiteout markers (trusted.overlay.opaque) and xattrs carried in layer tars (SCHILY.xattr.*).</summary>
internal static class Xattr
{
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;
    public const int ERANGE = 34;

    // Own imports: Tmds.LibC 0.5.0 binds none of the *xattr calls.
    [DllImport("libc", EntryPoint = "lsetxattr", SetLastError = true)]
    private static extern int lsetxattr_(byte[] path, string name, byte[] value, nuint size, int flags);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern nint lgetxattr_(byte[] path, string name, byte[]? value, nuint size);

    /// <summary>Returns 0 or the errno.</summary>
    public static int TrySet(string path, string name, byte[] value)
        => lsetxattr_(IO.FileName.ToNative(path), name, value, (nuint)value.Length, 0) == 0 ? 0 : Errno.Last;

    public static void Set(string path, string name, byte[] value)
    {
        int errno = TrySet(path, name, value);
        if (errno != 0)
            throw new IOException($"lsetxattr({path}, {name}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>The value, or null when the attribute is absent (ENODATA) or unsupported.</summary>
    public static byte[]? Get(string path, string name)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var native = IO.FileName.ToNative(path);
            nint size = lgetxattr_(native, name, null, 0);
            if (size < 0)
            {
                int errno = Errno.Last;
                if (errno is ENODATA or EOPNOTSUPP) return null;
                throw new IOException($"lgetxattr({path}, {name}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            var buffer = new byte[size];
            nint read = lgetxattr_(native, name, buffer, (nuint)buffer.Length);
            if (read >= 0) return read == size ? buffer : buffer[..(int)read];
            // The value grew between the two calls.
            if (Errno.Last != ERANGE) break;
        }
        throw new IOException($"lgetxattr({path}, {name}) failed");
    }
}
