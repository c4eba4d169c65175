using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Layers;
using PodShell.Engine.Overlay;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Hosting;

/// <summary>What differs between an engine run by root and one run by an ordinary user (docs/design.md, "Host mode"),
/// chosen once when the engine is made (<see cref="HostMode.For"/>). Services ask this object instead of branching on
/// the user: where a rootfs is mounted and how it is read, where a container's cgroup goes and whether its limits are
/// enforced, how the runtime is launched, how every process of a container is killed and counted.</summary>
internal interface IHostMode
{
    // ---- the OCI spec ---------------------------------------------------------------------------

    /// <summary>Sets what the container's config.json mounts where the runtime's privileges decide it: the host's /sys
    /// and /dev/mqueue bound instead of fresh ones (namespaces the runtime does not own), and whether a cgroup tree
    /// is mounted. Called by BundleWriter once the spec's namespaces and cgroupsPath are set.</summary>
    void AdjustSpec(Runtime.Spec.ContainerSpec spec);

    /// <summary>True for an ordinary user's engine; recorded on each container it makes (Container.Rootless).</summary>
    bool Rootless { get; }

    // ---- the rootfs mount -----------------------------------------------------------------------

    /// <summary>Mounts the overlay of <paramref name="lowers"/> (top first) at <paramref name="merged"/>.</summary>
    void MountOverlay(IReadOnlyList<string> lowers, string upper, string work, string merged);
    void Unmount(string merged);
    bool IsMounted(string merged);
    /// <summary>The mount as mountinfo shows it, or null (a fuse-overlayfs mount is not shown: see <see cref="IsFuseMount"/>).</summary>
    OverlayMountInfo? FindMount(string merged);
    bool IsFuseMount(string merged);
    /// <summary>The mounted root filesystem as this process can read it.</summary>
    string View(string merged);
    /// <summary>Whether this process can read the mount at all (a rootless fuse-overlayfs mount it cannot).</summary>
    bool IsReadable(string merged);
    /// <summary>Where the container's /etc/passwd and /etc/group can be read (copies in <paramref name="runDir"/> when
    /// the rootfs itself cannot be).</summary>
    string UserFilesView(string merged, string runDir);
    /// <summary>Owners for tars written from this store's files (commit, export, push); null = as on disk.</summary>
    OwnerMap? TarOwners { get; }

    // ---- cgroups --------------------------------------------------------------------------------

    /// <summary>The cgroup subtree the host delegates to this user (meaningful for an ordinary user only).</summary>
    CgroupDelegation Delegation { get; }
    /// <summary>Whether the kernel enforces -Memory, -Cpus and -PidsLimit for this engine's containers, and why not.</summary>
    (bool Enforced, string Reason) LimitsEnforcement { get; }
    /// <summary>The cgroup a container gets; empty when it gets none of its own (runc leaves it where it is).</summary>
    string CgroupsPathFor(string id);
    /// <summary>Before a start: makes the parent cgroup ready when the engine must (the delegated subtree).</summary>
    void PrepareCgroup();
    /// <summary>False when the container has no cgroup of its own, so cgroup files say nothing about it alone.</summary>
    bool OwnsCgroup(Container c);
    /// <summary>Get-ContainerCgroup of a container without enforced limits says so on the object.</summary>
    void MarkUnenforced(ContainerCgroup cg);

    // ---- launcher, kill policy, processes -------------------------------------------------------

    /// <summary>How the runtime and conmon are started (inside the user namespace for an ordinary user); null = directly.</summary>
    Func<string, IEnumerable<string>, (string File, List<string> Args)>? Launcher { get; }
    /// <summary>SIGKILL to every process of a running container.</summary>
    void KillAll(ContainerRecord r, OciRuntime runtime);
    /// <summary>The container's processes, host pids.</summary>
    IReadOnlyList<int> ContainerPids(Container c, ICgroupDriver cgroups);
    /// <summary>A process as the container knows it (its user ids are those inside its user namespace).</summary>
    void ToInsideView(ContainerProcess proc, string rootfs);

    // ---- networks (rewire) ----------------------------------------------------------------------

    /// <summary>The network drivers of this engine, made once by the network service: an ordinary user can create
    /// neither bridges nor firewall rules, so its containers get the user-mode network; root gets bridge networks.</summary>
    Network.NetworkDrivers NetworkDrivers(string runRoot);
}
