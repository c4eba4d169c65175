using PodShell.Engine.Linux;
using PodShell.Engine.Rootless;

namespace PodShell.Engine;

/// <summary>What differs when the engine runs as an ordinary user (docs/design.md, "Host mode"): chosen once, in
/// <see cref="EngineContext.Host"/> (Hosting/). The facade shows its facts.</summary>
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
