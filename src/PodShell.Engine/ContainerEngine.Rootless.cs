using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Rootless;

namespace PodShell.Engine;

/// <summary>What differs when the engine runs as an ordinary user (docs/design.md, "Rootless"): the containers,
/// their mounts and the runtime live in the user's user namespace, entered through <see cref="Rootless.UserNamespace"/>.</summary>
public sealed partial class ContainerEngine
{
    /// <summary>The user namespace of an ordinary user's containers; null when the engine runs as root.</summary>
    public UserNamespace? UserNamespace => Context.UserNamespace;

    /// <summary>The container's root filesystem as this process can read it. A rootless mount exists only in the
    /// user's mount namespace, so it is read through the pause process's /proc/&lt;pid&gt;/root.</summary>
    private string RootfsView(string id) => UserNamespace is { } ns ? ns.View(MergedDir(id)) : MergedDir(id);

    /// <summary>Owners for tars written from this store's files (commit, export, push).</summary>
    internal Layers.OwnerMap? TarOwners => UserNamespace?.InsideOwners;

    private bool IsRootfsMounted(string id) =>
        UserNamespace is { } ns ? ns.IsMounted(MergedDir(id)) : OverlayMount.IsMounted(MergedDir(id));

    private void UnmountRootfs(string id)
    {
        if (UserNamespace is { } ns) ns.Unmount(MergedDir(id));
        else OverlayMount.Unmount(MergedDir(id));
    }

    private PodShell.Engine.Cgroups.CgroupDelegation? _delegation;

    /// <summary>The cgroup subtree the host delegates to this user (cgroup v2 with systemd's Delegate=yes), if any.</summary>
    public PodShell.Engine.Cgroups.CgroupDelegation Delegation =>
        _delegation ??= PodShell.Engine.Cgroups.CgroupDelegation.Detect((int)ProcStat.EffectiveUid, CgroupMode);

    /// <summary>Whether the kernel will enforce -Memory, -Cpus and -PidsLimit for this engine's containers, and why not.
    /// Root: always. An ordinary user: only with cgroups delegated to it, which a cgroup v1 host never does.</summary>
    public (bool Enforced, string Reason) LimitsEnforcement =>
        !Options.Rootless ? (true, "") : Delegation.CanEnforce ? (true, "") : (false, Delegation.Reason.TrimEnd('.'));

    /// <summary>The cgroup a container gets; empty for a rootless container without delegation (runc then leaves the
    /// container in the user's own cgroup, as rootless Podman does on v1).</summary>
    private string CgroupsPathFor(string id) =>
        !Options.Rootless ? $"/{Options.CgroupParent}/{id}"
        : Delegation.CanEnforce ? $"{Delegation.Parent}/{id}" : "";

    /// <summary>Creates the delegated parent and enables its controllers before a rootless start.</summary>
    private void PrepareRootlessCgroup()
    {
        if (Options.Rootless && Delegation.CanEnforce) Delegation.Prepare();
    }

    /// <summary>Get-ContainerCgroup of a rootless container without delegation: the figures are those of the cgroup
    /// its processes are really in (the user's session), and the object says that nothing is enforced.</summary>
    private void MarkUnenforced(ContainerCgroup cg)
    {
        var (enforced, reason) = LimitsEnforcement;
        if (enforced) return;
        cg.LimitsEnforced = false;
        cg.Note = reason + ".";
    }
}

public sealed partial class ContainerEngine
{
    /// <summary>False for a rootless container without delegated cgroups: runc leaves it in the user's own cgroup,
    /// which holds other processes too, so cgroup files say nothing about the container alone.</summary>
    private bool OwnsCgroup(Container c) => !c.Rootless || LimitsEnforcement.Enforced;

    /// <summary>The container's processes: its cgroup's, or without one its PID namespace's (just init when it
    /// shares the host's PID namespace).</summary>
    private IReadOnlyList<int> ContainerPids(Container c)
    {
        if (!OwnsCgroup(c))
            return c.PidMode == "host" ? new[] { c.Pid } : Processes.ProcessTable.PidsInNamespaceOf(c.Pid);
        var cg = Cgroups.Read(c.Pid);
        var dir = cg.Directories.TryGetValue("unified", out var u) ? u
            : cg.Directories.TryGetValue("pids", out var p) ? p
            : cg.Directories.TryGetValue("memory", out var m) ? m
            : cg.Directories.Values.First();
        return Processes.ProcessTable.PidsIn(dir);
    }

    /// <summary>Statistics summed over the container's processes from /proc, for a container without a cgroup of its
    /// own: CPU time of the live processes, resident memory, the process count; no limits (none is enforced).</summary>
    private ContainerStats SampleFromProcesses(Container c)
    {
        long cpu = 0, rss = 0;
        var pids = ContainerPids(c);
        foreach (var pid in pids)
        {
            if (Processes.ProcessTable.Read(pid, null) is not { } proc) continue;
            cpu += proc.CpuTime.Ticks * 100; // nanoseconds
            rss += proc.MemoryRss;
        }
        var (rx, tx) = Processes.ProcNetDev.Read(c.Pid);
        return new ContainerStats
        {
            ContainerId = c.Id,
            ContainerName = c.Name,
            Timestamp = DateTime.UtcNow,
            CpuUsage = cpu,
            MemoryUsage = rss,
            MemoryLimit = long.MaxValue,
            PidsCurrent = pids.Count,
            PidsLimit = long.MaxValue,
            NetInputBytes = rx,
            NetOutputBytes = tx,
        };
    }
}

public sealed partial class ContainerEngine
{
    private bool RootfsReadable(string id) => UserNamespace is not { } ns || !ns.IsFuseMount(MergedDir(id));

    /// <summary>Where /etc/passwd and /etc/group of the container can be read: the root filesystem itself, or for a
    /// fuse-overlayfs mount copies of those two files made through a program inside the user namespace.</summary>
    private string UserFilesView(string id)
    {
        if (RootfsReadable(id)) return RootfsView(id);
        var copy = Path.Combine(PathsFor(id).RunDir, "userdb");
        if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        UserNamespace!.CopyOut(MergedDir(id), new[] { "/etc/passwd", "/etc/group" }, copy);
        return copy;
    }
}
