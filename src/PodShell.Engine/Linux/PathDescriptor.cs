using System.Runtime.InteropServices;

namespace PodShell.Engine.Linux;

/// <summary>An O_PATH descriptor of a directory, so a unix socket inside it can be reached as
/// /proc/self/fd/&lt;fd&gt;/name: sun_path holds only 108 bytes and bundle paths are longer
/// (conmon binds its attach socket the same way, design.md, Upstream U3).</summary>
internal sealed class PathDescriptor : IDisposable
{
    [DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);

    private const int O_PATH = 0x200000;
    private const int O_CLOEXEC = 0x80000;

    public int Fd { get; private set; }

    public PathDescriptor(string dir)
    {
        Fd = open(dir, O_PATH | O_CLOEXEC);
        if (Fd < 0) throw new IOException($"open {dir}: {Errno.Describe(Errno.Last)}");
    }

    public string ProcPath(string name) => $"/proc/self/fd/{Fd}/{name}";

    public void Dispose()
    {
        if (Fd >= 0) { close(Fd); Fd = -1; }
    }
}
