using PodShell.Engine.Linux;

namespace PodShell.Engine.Network;

/// <summary>A network namespace kept alive by a bind mount of its nsfs file (what `ip netns add` and
/// podman do). The engine is a multi-threaded .NET process, where unshare(CLONE_NEWNET) moves only the
/// calling thread; so a dedicated thread unshares, bind-mounts its own /proc/thread-self/ns/net onto the
/// file (in the host's mount namespace, which every thread shares) and ends.</summary>
public static class NetnsFile
{
    private const ulong MS_BIND = 4096;

    public static bool Exists(string path) => File.Exists(path) && IsNsfs(path);

    public static void Create(string path)
    {
        if (Exists(path)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Array.Empty<byte>());
        try
        {
            NetlinkSocket.RunInNew(() =>
            {
                int errno = MountSyscalls.Mount("/proc/thread-self/ns/net", path, "", MS_BIND, null);
                if (errno != 0) throw new PodShellException(ErrorIds.NetnsFailed, FailureKind.RuntimeFailed, $"Could not bind-mount the network namespace onto {path}: {MountSyscalls.ErrorText(errno)}", path);
                return 0;
            });
        }
        catch (PodShellException e)
        {
            try { File.Delete(path); } catch (IOException) { }
            throw e.ErrorId == ErrorIds.NetnsFailed ? e : new PodShellException(ErrorIds.NetnsFailed, FailureKind.RuntimeFailed, $"Could not create the network namespace {path}: {e.Message}", path);
        }
    }

    /// <summary>A namespace netavark never set up has lo down (runc only brings lo up in a namespace it
    /// creates itself), so the container would not even reach 127.0.0.1.</summary>
    public static void BringLoopbackUp(string path)
    {
        try
        {
            NetlinkSocket.RunIn(path, () =>
            {
                using var s = NetlinkSocket.Open();
                Netlink.SetUp(s, 1); // lo is index 1 in every namespace
                return 0;
            });
        }
        catch (PodShellException e)
        {
            throw new PodShellException(ErrorIds.NetnsFailed, FailureKind.RuntimeFailed, $"Could not bring up lo in {path}: {e.Message}", path);
        }
    }

    /// <summary>Idempotent: unmount (lazily, a process may still be inside) and delete the file.</summary>
    public static void Remove(string path)
    {
        if (!File.Exists(path)) return;
        for (int i = 0; i < 8 && IsNsfs(path); i++)
        {
            if (MountSyscalls.Unmount(path, MountSyscalls.MNT_DETACH) is var errno and not 0)
            {
                if (errno is MountSyscalls.EINVAL or MountSyscalls.ENOENT) break;
                throw new PodShellException(ErrorIds.NetnsFailed, FailureKind.ResourceBusy, $"Could not unmount {path}: {MountSyscalls.ErrorText(errno)}", path);
            }
        }
        File.Delete(path);
    }

    private const long NsfsMagic = 0x6e736673;

    private static bool IsNsfs(string path) => FileSystemMagic.Of(path) == NsfsMagic;
}
