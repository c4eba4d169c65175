using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>rmdir(2) with its errno: cgroupfs directories are removed with rmdir even though they hold
/// control files, and the caller must tell EBUSY (processes or children left) from ENOENT (already gone).</summary>
public static class CgroupDirectory
{
    public const int ENOENT = 2;
    public const int EPERM = 1;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EROFS = 30;
    public const int ENOTEMPTY = 39;

    /// <summary>Removes the directory; returns 0 on success, else the errno.</summary>
    public static unsafe int Remove(string path)
    {
        fixed (byte* p = IO.FileName.ToNative(path))
            return LibC.rmdir(p) == 0 ? 0 : Errno.Last;
    }
}
