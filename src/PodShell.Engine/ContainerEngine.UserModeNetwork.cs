using PodShell.Engine.Network;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>slirp4netns for rootless containers: started in the user namespace on the container's netns file
/// before the runtime creates the container, stopped when the container's network is torn down.</summary>
public sealed partial class ContainerEngine
{
    // Short on purpose: the API socket path inside it must fit sockaddr_un (107 bytes).
    private string UserModeStateDir(string id) => Path.Combine(Options.RunRoot, "slirp", id[..12]);

    private void StartUserModeNetwork(Container c, ContainerPaths paths, string netns)
    {
        var ports = c.Ports.Select(PortMapping.Parse).ToList();
        CheckTunAccess();
        Slirp4netns.Stop(UserModeStateDir(c.Id));
        Slirp4netns.Start(netns, ports, UserModeStateDir(c.Id), UserNamespace!.CommandPrefix());
        // slirp4netns answers DNS itself on 10.0.2.3; the host's resolvers may be loopback ones the container cannot reach.
        AtomicWrite(paths.ResolvConfFile, Slirp4netns.ResolvConf);
        c.IPAddresses = new[] { Slirp4netns.GuestAddress };
    }

    /// <summary>slirp4netns needs /dev/net/tun, which distributions make 0666; a host that made it root-only
    /// gets a clear error before anything is started rather than slirp4netns's EACCES.</summary>
    private static void CheckTunAccess()
    {
        const string tun = "/dev/net/tun";
        try
        {
            using var f = new FileStream(tun, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PodShellException("UserModeNetworkUnavailable", FailureKind.PermissionDenied,
                $"The rootless network ({UserModeNetworkName}) needs {tun}, which this user cannot open ({e.Message}). " +
                "Ask the administrator to make it mode 0666 (the usual default), or use -Network none or -Network host.", tun);
        }
    }

    private void StopUserModeNetwork(string id)
    {
        Slirp4netns.Stop(UserModeStateDir(id));
        var dir = UserModeStateDir(id);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
