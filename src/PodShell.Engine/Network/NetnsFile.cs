using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Network;

/// <summary>A network namespace kept alive by a bind mount of its nsfs file (what `ip netns add` and
/// podman do). The engine is a multi-threaded .NET process, where unshare(CLONE_NEWNET) would move only
/// one thread; so a helper process is born in the new namespace (unshare --net) and bind-mounts its own
/// /proc/self/ns/net onto the file in the host's mount namespace.</summary>
public static class NetnsFile
{
    public static bool Exists(string path) => File.Exists(path) && IsNsfs(path);

    public static void Create(string path)
    {
        if (Exists(path)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Array.Empty<byte>());
        var r = ProcessRunner.Run("unshare", new[] { "--net", "--", "mount", "--bind", "/proc/self/ns/net", path }, TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0)
        {
            try { File.Delete(path); } catch (IOException) { }
            throw new PodShellException("NetnsFailed", FailureKind.RuntimeFailed, $"Could not create the network namespace {path}: {r.Stderr.Trim()}", path);
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
            throw new PodShellException("NetnsFailed", FailureKind.RuntimeFailed, $"Could not bring up lo in {path}: {e.Message}", path);
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
                throw new PodShellException("NetnsFailed", FailureKind.ResourceBusy, $"Could not unmount {path}: {MountSyscalls.ErrorText(errno)}", path);
            }
        }
        File.Delete(path);
    }

    private const long NsfsMagic = 0x6e736673;

    private static bool IsNsfs(string path) => FileSystemMagic.Of(path) == NsfsMagic;
}
