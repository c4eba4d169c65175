using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>An O_PATH descriptor of a directory, so a unix socket inside it can be reached as
/// /proc/self/fd/&lt;fd&gt;/name: sun_path holds only 108 bytes and bundle paths are longer
/// (conmon binds its attach socket the same way, design.md, Upstream U3).</summary>
internal sealed unsafe class PathDescriptor : IDisposable
{
    public int Fd { get; private set; }

    public PathDescriptor(string dir)
    {
        fixed (byte* p = IO.FileName.ToNative(dir))
            Fd = LibC.open(p, LibC.O_PATH | LibC.O_CLOEXEC, 0);
        if (Fd < 0) throw new IOException($"open {dir}: {Errno.Describe(Errno.Last)}");
    }

    public string ProcPath(string name) => $"/proc/self/fd/{Fd}/{name}";

    public void Dispose()
    {
        if (Fd >= 0) { LibC.close(Fd); Fd = -1; }
    }
}
