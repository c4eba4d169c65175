using PodShell.Engine.Rootless;

namespace PodShell.Engine.Network;

/// <summary>The user-mode network (Podman 4's rootless default): slirp4netns attached to a network namespace
/// born inside the user's user namespace, started before the runtime creates the container and stopped when
/// the container's network is torn down. It has no named networks, no addresses to hand out and no live
/// connect: one implicit network per container, 10.0.2.100 behind slirp4netns's NAT.</summary>
internal sealed class UserModeDriver : INetworkDriver
{
    /// <summary>The -Network value (and Container.Network) of a container on this network.</summary>
    public const string NetworkName = "slirp4netns";

    private readonly string _runRoot;
    private readonly UserNamespace _userNamespace;

    public UserModeDriver(string runRoot, UserNamespace userNamespace)
    {
        _runRoot = runRoot;
        _userNamespace = userNamespace;
    }

    public string Name => NetworkName;

    /// <summary>The -Network values that mean this network: none given, podman's spellings of "the default
    /// network", and its own name.</summary>
    public static bool IsRequestedBy(string text) => text is "" or "bridge" or "default" or NetworkName;

    // Short on purpose: the API socket path inside it must fit sockaddr_un (107 bytes).
    private string StateDir(string id) => Path.Combine(_runRoot, "slirp", id[..12]);

    /// <summary>Creates the namespace and starts slirp4netns on it with the published ports. The namespace is
    /// born inside the user namespace, so the container (root there) may configure it; it is kept by a bind
    /// mount in the user's mount namespace, where the runtime will look for it.</summary>
    public NetworkSetupResult Setup(NetworkAttachment a)
    {
        var netns = a.NetnsPath;
        Directory.CreateDirectory(Path.GetDirectoryName(netns)!);
        if (!File.Exists(netns)) File.WriteAllBytes(netns, Array.Empty<byte>());
        var r = _userNamespace.Run("unshare", new[] { "--net=" + netns, "true" });
        if (r.ExitCode != 0)
            throw new PodShellException(ErrorIds.NetnsFailed, FailureKind.RuntimeFailed, $"Could not create the network namespace {netns}: {r.Stderr.Trim()}", netns);
        CheckTunAccess();
        Slirp4netns.Stop(StateDir(a.ContainerId));
        Slirp4netns.Start(netns, a.Ports, StateDir(a.ContainerId), _userNamespace.CommandPrefix());
        // slirp4netns answers DNS itself on 10.0.2.3; the host's resolvers may be loopback ones the container cannot reach.
        return new NetworkSetupResult(new[] { Slirp4netns.GuestAddress }, new[] { Slirp4netns.DnsServer }, Slirp4netns.ResolvConf);
    }

    /// <summary>Stops slirp4netns and removes the namespace file (unmounted in the user's mount namespace, where
    /// it was bound). Safe for a container that never had this network.</summary>
    public void Teardown(NetworkAttachment a, bool force)
    {
        var dir = StateDir(a.ContainerId);
        Slirp4netns.Stop(dir);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        if (!File.Exists(a.NetnsPath)) return;
        if (_userNamespace.TryGetPausePid(out _)) _userNamespace.Run("umount", new[] { "-l", a.NetnsPath });
        File.Delete(a.NetnsPath);
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
            throw new PodShellException(ErrorIds.UserModeNetworkUnavailable, FailureKind.PermissionDenied,
                $"The rootless network ({NetworkName}) needs {tun}, which this user cannot open ({e.Message}). " +
                "Ask the administrator to make it mode 0666 (the usual default), or use -Network none or -Network host.", tun);
        }
    }
}
