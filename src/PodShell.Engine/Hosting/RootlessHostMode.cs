using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Layers;
using PodShell.Engine.Overlay;
using PodShell.Engine.Processes;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Hosting;

/// <summary>The engine run by an ordinary user (docs/design.md, "Rootless"): the containers, their mounts and the
/// runtime live in the user's user namespace, entered through <see cref="Rootless.UserNamespace"/>; a container gets a
/// cgroup of its own only where the host delegates cgroups to the user.</summary>
internal sealed class RootlessHostMode : IHostMode
{
    /// <summary>sysfs may only be mounted by the owner of the network namespace, mqueue by that of the IPC
    /// namespace: on the host's, the user's runtime binds the host's instead (as rootless Podman). Without a cgroup of
    /// its own (no cgroupsPath) a container would see the user's session cgroup tree; Podman leaves it out too.</summary>
    public void AdjustSpec(Runtime.Spec.ContainerSpec spec)
    {
        spec.SysfsFromHost = spec.NetworkMode == "host";
        spec.MqueueFromHost = spec.IpcNamespacePath == "host";
        spec.MountCgroupfs = spec.CgroupsPath.Length > 0;
    }

    private readonly PodShell.Engine.Rootless.UserNamespace _ns;
    private readonly CgroupMode _cgroupMode;
    private CgroupDelegation? _delegation;

    public RootlessHostMode(PodShell.Engine.Rootless.UserNamespace ns, CgroupMode cgroupMode)
    {
        _ns = ns;
        _cgroupMode = cgroupMode;
    }

    public bool Rootless => true;

    public PodShell.Engine.Rootless.UserNamespace UserNamespace => _ns;

    public void MountOverlay(IReadOnlyList<string> lowers, string upper, string work, string merged) =>
        _ns.MountOverlay(OverlayMount.Options(lowers, upper, work, merged), merged);
    public void Unmount(string merged) => _ns.Unmount(merged);
    public bool IsMounted(string merged) => _ns.IsMounted(merged);
    public OverlayMountInfo? FindMount(string merged) => OverlayMount.Find(merged, _ns.MountInfoPath);
    public bool IsFuseMount(string merged) => _ns.IsFuseMount(merged);
    /// <summary>The mount exists only in the user's mount namespace: read through the pause process's /proc/&lt;pid&gt;/root.</summary>
    public string View(string merged) => _ns.View(merged);
    /// <summary>A fuse-overlayfs mount (the fallback where the kernel refuses overlay in a user namespace) cannot be
    /// read from outside its user namespace.</summary>
    public bool IsReadable(string merged) => !_ns.IsFuseMount(merged);

    /// <summary>For a fuse-overlayfs mount: copies of the two files made through a program inside the user namespace.</summary>
    public string UserFilesView(string merged, string runDir)
    {
        if (IsReadable(merged)) return View(merged);
        var copy = Path.Combine(runDir, "userdb");
        if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        _ns.CopyOut(merged, new[] { "/etc/passwd", "/etc/group" }, copy);
        return copy;
    }

    public OwnerMap? TarOwners => _ns.InsideOwners;

    /// <summary>cgroup v2 with systemd's Delegate=yes gives the user a subtree; a cgroup v1 host never does.</summary>
    public CgroupDelegation Delegation => _delegation ??= CgroupDelegation.Detect((int)_ns.Uid, _cgroupMode);
    public (bool Enforced, string Reason) LimitsEnforcement =>
        Delegation.CanEnforce ? (true, "") : (false, Delegation.Reason.TrimEnd('.'));
    /// <summary>Empty without delegation: runc then leaves the container in the user's own cgroup, as rootless Podman
    /// does on v1.</summary>
    public string CgroupsPathFor(string id) => Delegation.CanEnforce ? $"{Delegation.Parent}/{id}" : "";
    /// <summary>Creates the delegated parent and enables its controllers.</summary>
    public void PrepareCgroup() { if (Delegation.CanEnforce) Delegation.Prepare(); }
    /// <summary>Without delegation the container shares the user's session cgroup with other processes.</summary>
    public bool OwnsCgroup(Container c) => LimitsEnforcement.Enforced;
    /// <summary>The figures are those of the cgroup its processes are really in (the user's session).</summary>
    public void MarkUnenforced(ContainerCgroup cg)
    {
        var (enforced, reason) = LimitsEnforcement;
        if (enforced) return;
        cg.LimitsEnforced = false;
        cg.Note = reason + ".";
    }

    public Func<string, IEnumerable<string>, (string File, List<string> Args)>? Launcher => _ns.Wrap;

    /// <summary>The container's processes belong to the user namespace: the runtime, run inside it, kills them.</summary>
    public void KillAll(ContainerRecord r, OciRuntime runtime) => runtime.Kill(r.Container.Id, 9, all: true);

    public IReadOnlyList<int> ContainerPids(Container c, ICgroupDriver cgroups) =>
        OwnsCgroup(c) ? HostMode.PidsOfCgroup(c, cgroups) : HostMode.PidsOfNamespace(c);

    /// <summary>/proc shows host ids; the container knows its user as 0 and its range as 1..n.</summary>
    public void ToInsideView(ContainerProcess proc, string rootfs)
    {
        proc.Uid = (uint)PodShell.Engine.Rootless.SubordinateIds.InsideId(proc.Uid, _ns.Uid, _ns.Ranges().Uids);
        proc.User = ProcessTable.UserName(rootfs, proc.Uid);
    }

    // ---- networks (rewire) ----------------------------------------------------------------------

    public Network.NetworkDrivers NetworkDrivers(string runRoot) =>
        Network.NetworkDrivers.UserMode(new Network.UserModeDriver(runRoot, _ns));
}
