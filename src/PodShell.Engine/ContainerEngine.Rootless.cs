using PodShell.Engine.Linux;
using PodShell.Engine.Rootless;

namespace PodShell.Engine;

/// <summary>What differs when the engine runs as an ordinary user (docs/design.md, "Host mode"): chosen once, in
/// <see cref="EngineContext.Host"/> (Hosting/). The facade shows its facts; the network part below stays here until the
/// network area is a service of its own.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>The user namespace of an ordinary user's containers; null when the engine runs as root.</summary>
    public UserNamespace? UserNamespace => Context.UserNamespace;

    /// <summary>Owners for tars written from this store's files (commit, export, push).</summary>
    internal Layers.OwnerMap? TarOwners => Context.Host.TarOwners;

    /// <summary>The cgroup subtree the host delegates to this user (cgroup v2 with systemd's Delegate=yes), if any.</summary>
    public PodShell.Engine.Cgroups.CgroupDelegation Delegation => Context.Host.Delegation;

    /// <summary>Whether the kernel will enforce -Memory, -Cpus and -PidsLimit for this engine's containers, and why not.
    /// Root: always. An ordinary user: only with cgroups delegated to it, which a cgroup v1 host never does.</summary>
    public (bool Enforced, string Reason) LimitsEnforcement => Context.Host.LimitsEnforcement;

    internal string HoldersDir(string id) => Services.Rootfs.HoldersDir(id);
    internal string HoldRootfs(Container c) => Services.Rootfs.Hold(c);
    internal void ReleaseRootfs(string id, string? hold) => Services.Rootfs.Release(id, hold);
}

public sealed partial class ContainerEngine
{
    /// <summary>The user-mode network of rootless containers (Podman 4's rootless default).</summary>
    public const string UserModeNetworkName = "slirp4netns";

    /// <summary>An ordinary user cannot create bridges or firewall rules: none, host, container:&lt;name&gt; and the
    /// user-mode network (the default) are what it has.</summary>
    private void ApplyRootlessNetworkOptions(CreateOptions o, Container c)
    {
        var text = (o.Network ?? "").Trim();
        bool userMode = text is "" or "bridge" or "default" or UserModeNetworkName;
        var ports = (o.Publish ?? []).Select(Network.PortMapping.Parse).ToList();
        if (!userMode)
        {
            var mode = Network.NetworkMode.Parse(text);
            if (mode.Kind == Network.NetworkModeKind.Bridge)
                throw new PodShellException("NetworkNotSupportedRootless", FailureKind.NotSupported,
                    $"-Network '{text}': bridge networks need root. A rootless container can use {UserModeNetworkName} (the default), none, host or container:<name>.", text);
            if (ports.Count > 0)
                throw new PodShellException("PublishNeedsNetwork", FailureKind.InvalidArgument,
                    $"-Publish needs a network of the container's own; -Network {mode} has no ports of its own to publish.", mode.ToString());
            c.Network = mode.Kind == Network.NetworkModeKind.Container ? "container:" + GetContainer(mode.Value).Id : mode.ToString();
        }
        else
        {
            c.Network = UserModeNetworkName;
        }
        c.Networks = Array.Empty<string>();
        ApplyPortsAndSharing(o, c, ports);
    }

    private void SetupRootlessNetwork(Container c, Runtime.ContainerPaths paths)
    {
        if (c.Network != UserModeNetworkName) return;
        var ns = UserNamespace!;
        var netns = NetnsPathFor(c.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(netns)!);
        if (!File.Exists(netns)) File.WriteAllBytes(netns, Array.Empty<byte>());
        // Born inside the user namespace, so the container (root there) may configure it; kept by a bind mount
        // in the user's mount namespace, where the runtime will look for it.
        var r = ns.Run("unshare", new[] { "--net=" + netns, "true" });
        if (r.ExitCode != 0)
            throw new PodShellException("NetnsFailed", FailureKind.RuntimeFailed, $"Could not create the network namespace {netns}: {r.Stderr.Trim()}", netns);
        StartUserModeNetwork(c, paths, netns);
    }

    private void TeardownRootlessNetwork(string id)
    {
        StopUserModeNetwork(id);
        var netns = NetnsPathFor(id);
        if (!File.Exists(netns)) return;
        if (UserNamespace!.TryGetPausePid(out _)) UserNamespace.Run("umount", new[] { "-l", netns });
        File.Delete(netns);
    }
}
