using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Hosting;

/// <summary>The engine run by root: mounts in this mount namespace, a cgroup per container under the engine's
/// parent, the runtime started directly, every limit enforced.</summary>
internal sealed class RootHostMode : IHostMode
{
    /// <summary>Root owns every namespace it runs in: fresh sysfs and mqueue, and a cgroup tree per container.</summary>
    public void AdjustSpec(Runtime.Spec.ContainerSpec spec)
    {
        spec.SysfsFromHost = false;
        spec.MqueueFromHost = false;
        spec.MountCgroupfs = true;
    }

    private readonly EngineOptions _options;
    private readonly CgroupMode _cgroupMode;
    private CgroupDelegation? _delegation;

    public RootHostMode(EngineOptions options, CgroupMode cgroupMode)
    {
        _options = options;
        _cgroupMode = cgroupMode;
    }

    public bool Rootless => false;

    public void MountOverlay(IReadOnlyList<string> lowers, string upper, string work, string merged) =>
        OverlayMount.Mount(lowers, upper, work, merged);
    public void Unmount(string merged) => OverlayMount.Unmount(merged);
    public bool IsMounted(string merged) => OverlayMount.IsMounted(merged);
    public OverlayMountInfo? FindMount(string merged) => OverlayMount.Find(merged);
    public bool IsFuseMount(string merged) => false;
    public string View(string merged) => merged;
    public bool IsReadable(string merged) => true;
    public string UserFilesView(string merged, string runDir) => merged;
    public OwnerMap? TarOwners => null;

    // Reported as it is (Get-ContainerHost-style callers read it), though root never needs a delegation.
    public CgroupDelegation Delegation => _delegation ??= CgroupDelegation.Detect((int)ProcStat.EffectiveUid, _cgroupMode);
    public (bool Enforced, string Reason) LimitsEnforcement => (true, "");
    public string CgroupsPathFor(string id) => $"/{_options.CgroupParent}/{id}";
    public void PrepareCgroup() { }
    public bool OwnsCgroup(Container c) => true;
    public void MarkUnenforced(ContainerCgroup cg) { }

    public Func<string, IEnumerable<string>, (string File, List<string> Args)>? Launcher => null;

    /// <summary>With its own PID namespace, killing the container's init (pinned by a pidfd, checked by start time)
    /// makes the kernel kill the rest of the namespace (pid_namespaces(7)): what `runc kill --all KILL` achieves by
    /// walking the cgroup, without a runtime exec (~11 ms). A shared or host PID namespace goes through the runtime.</summary>
    public void KillAll(ContainerRecord r, OciRuntime runtime)
    {
        if (r.Container.PidMode == "private")
        {
            using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Runtime, "kill (pidfd)");
            if (PidFd.SignalIfSame(r.Container.Pid, r.PidStart, 9)) return;
        }
        runtime.Kill(r.Container.Id, 9, all: true);
    }

    public IReadOnlyList<int> ContainerPids(Container c, ICgroupDriver cgroups) => HostMode.PidsOfCgroup(c, cgroups);

    public void ToInsideView(ContainerProcess proc, string rootfs) { }

    // ---- networks (rewire) ----------------------------------------------------------------------

    public Network.NetworkDrivers NetworkDrivers(string runRoot) =>
        Network.NetworkDrivers.Bridges(new Network.BridgeDriver(), new Network.NetavarkDriver(Path.Combine(runRoot, "networks")));
}
