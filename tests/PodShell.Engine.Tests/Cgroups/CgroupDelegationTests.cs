using PodShell.Engine.Cgroups;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Cgroups;

/// <summary>Rootless cgroup delegation on fixture trees: plain directories and files playing cgroupfs, chowned
/// to a test uid the way systemd's Delegate= chowns a user's subtree.</summary>
public sealed class CgroupDelegationTests : IDisposable
{
    private const int User = 4242;
    private const string Service = "/user.slice/user-4242.slice/user@4242.service";
    private readonly CgroupFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private string SelfCgroup => Path.Combine(_fx.ProcRoot, "self", "cgroup");

    /// <summary>A cgroup directory with the core files; owned by <paramref name="owner"/> the way a
    /// delegation leaves it (directory, cgroup.procs, cgroup.subtree_control, cgroup.threads).</summary>
    private string Cgroup(string relative, int owner = 0, string controllers = "", string subtree = "", string procs = "")
    {
        var dir = _fx.Dir(relative);
        _fx.Set(dir, "cgroup.controllers", controllers.Length == 0 ? "" : controllers + "\n");
        _fx.Set(dir, "cgroup.subtree_control", subtree.Length == 0 ? "" : subtree + "\n");
        _fx.Set(dir, "cgroup.procs", procs.Length == 0 ? "" : procs + "\n");
        _fx.Set(dir, "cgroup.threads", procs.Length == 0 ? "" : procs + "\n");
        if (owner != 0)
            foreach (var path in new[] { dir, Path.Combine(dir, "cgroup.procs"), Path.Combine(dir, "cgroup.subtree_control"), Path.Combine(dir, "cgroup.threads") })
                FileOwnership.LChown(path, owner, owner);
        return dir;
    }

    /// <summary>The tree of a pure v2 systemd host: root-owned slices, the user's manager delegated.</summary>
    private void SystemdHost(string serviceControllers = "cpuset cpu io memory pids")
    {
        Cgroup("/", controllers: "cpuset cpu io memory hugetlb pids rdma misc", subtree: "cpuset cpu io memory pids");
        Cgroup("/user.slice", controllers: "cpuset cpu io memory pids", subtree: "cpuset cpu io memory pids");
        Cgroup("/user.slice/user-4242.slice", controllers: "cpuset cpu io memory pids", subtree: "cpuset cpu io memory pids");
        Cgroup("/user.slice/user-4242.slice/session-3.scope", controllers: "cpuset cpu io memory pids", procs: "811\n812");
        Cgroup(Service, User, serviceControllers, serviceControllers);
        Cgroup(Service + "/init.scope", User, serviceControllers, procs: "900");
        Cgroup(Service + "/app.slice", User, serviceControllers);
        Cgroup(Service + "/app.slice/run-r1.scope", User, serviceControllers, procs: "1234");
    }

    private void Self(params string[] lines) => File.WriteAllText(SelfCgroup, string.Join('\n', lines) + "\n");

    private CgroupDelegation Detect(CgroupMode mode = CgroupMode.V2, string parentName = CgroupDelegation.DefaultParentName) =>
        CgroupDelegation.Detect(User, mode, _fx.MountRoot, SelfCgroup, parentName);

    private static void AssertCannot(CgroupDelegation d)
    {
        Assert.False(d.CanEnforce);
        Assert.Null(d.Parent);
        Assert.Empty(d.Controllers);
        Assert.False(d.CanLimitMemory || d.CanLimitCpu || d.CanLimitPids || d.CanLimitIo);
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
    }

    [MachineFact(Needs.Root)]
    public void V1Host_NeverEnforces()
    {
        SystemdHost();
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect(CgroupMode.V1);

        AssertCannot(d);
        Assert.StartsWith("cgroup v1:", d.Reason);
        Assert.Contains("-Memory/-Cpus/-PidsLimit cannot be enforced", d.Reason);
        Assert.Null(d.Own);
        Assert.Equal(CgroupMode.V1, d.Mode);
        Assert.Equal(User, d.Uid);
    }

    [MachineFact(Needs.Root)]
    public void HybridHost_NeverEnforces_EvenWithADelegatedUnifiedTree()
    {
        SystemdHost();
        Self("4:memory:/user.slice", "0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect(CgroupMode.Hybrid);

        AssertCannot(d);
        Assert.Contains("hybrid", d.Reason);
        Assert.Contains("no cgroup of its own", d.Reason);
        var warning = d.UnenforcedLimits(memory: 64 << 20, cpus: 0.5, pidsLimit: null);
        Assert.NotNull(warning);
        Assert.Contains("-Memory, -Cpus cannot be enforced", warning);
        Assert.DoesNotContain("-PidsLimit,", warning);
        Assert.Null(d.UnenforcedLimits(null, null, null));
    }

    [MachineFact(Needs.Root)]
    public void V2WithSystemdDelegation_UsesASiblingOfTheUserManagersUnits()
    {
        SystemdHost();
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect();

        Assert.True(d.CanEnforce, d.Reason);
        Assert.Equal(Service + "/app.slice/run-r1.scope", d.Own);
        Assert.Equal(Service, d.Delegated);
        Assert.Equal(Service + "/podshell", d.Parent);
        Assert.Equal(new[] { "cpuset", "cpu", "io", "memory", "pids" }, d.Controllers);
        Assert.True(d.CanLimitMemory && d.CanLimitCpu && d.CanLimitPids && d.CanLimitIo);
        Assert.True(d.Supports("cpuset"));
        Assert.False(d.Supports("hugetlb"));
        Assert.Null(d.UnenforcedLimits(1 << 30, 1.5, 100));
        Assert.Contains(Service + "/podshell", d.Reason);
    }

    [MachineFact(Needs.Root)]
    public void V2WithDelegation_TakesAParentName()
    {
        SystemdHost();
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect(parentName: "podshell.slice/containers");

        Assert.Equal(Service + "/podshell.slice/containers", d.Parent);
        Assert.Throws<ArgumentException>(() => Detect(parentName: "../escape"));
        Assert.Throws<ArgumentException>(() => Detect(parentName: "/"));
    }

    [MachineFact(Needs.Root)]
    public void V2_AnUnownedLeafUnderADelegatedSubtree_UsesTheNearestOwnedAncestor()
    {
        SystemdHost();
        // A root-made leaf inside the user's subtree: the move target's common ancestor is still the user's.
        Cgroup(Service + "/app.slice/root-made", procs: "77");
        Self("0::" + Service + "/app.slice/root-made");

        var d = Detect();

        Assert.True(d.CanEnforce, d.Reason);
        Assert.Equal(Service, d.Delegated);
    }

    [MachineFact(Needs.Root)]
    public void V2WithoutDelegation_ExplainsWhichDirectoryIsNotWritable()
    {
        SystemdHost();
        // As a login without a user manager: the user@ service is root's (no Delegate=).
        foreach (var p in Directory.EnumerateFileSystemEntries(_fx.Dir(Service), "*", SearchOption.AllDirectories).Append(_fx.Dir(Service)))
            FileOwnership.LChown(p, 0, 0);
        Self("0::/user.slice/user-4242.slice/session-3.scope");

        var d = Detect();

        AssertCannot(d);
        Assert.Equal("/user.slice/user-4242.slice/session-3.scope", d.Own);
        Assert.Null(d.Delegated);
        Assert.StartsWith("cgroup v2 without delegation: ", d.Reason);
        Assert.Contains(Path.Combine(_fx.MountRoot, "user.slice/user-4242.slice/session-3.scope") + " and its parents are not writable by uid 4242", d.Reason);
        Assert.Contains("-Memory", d.UnenforcedLimits(1 << 20, null, null));
    }

    [MachineFact(Needs.Root)]
    public void V2_RunningInASessionScopeOutsideTheDelegatedService_SaysHowToGetInside()
    {
        SystemdHost();
        Self("0::/user.slice/user-4242.slice/session-3.scope");

        var d = Detect();

        AssertCannot(d);
        Assert.Contains("is delegated to uid 4242, but PodShell runs in /user.slice/user-4242.slice/session-3.scope", d.Reason);
        Assert.Contains("systemd-run --user --scope", d.Reason);
    }

    [MachineFact(Needs.Root)]
    public void V2_PartialDelegation_EnforcesOnlyTheDelegatedControllers()
    {
        SystemdHost(serviceControllers: "memory pids");
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect();

        Assert.True(d.CanEnforce, d.Reason);
        Assert.Equal(new[] { "memory", "pids" }, d.Controllers);
        Assert.True(d.CanLimitMemory);
        Assert.True(d.CanLimitPids);
        Assert.False(d.CanLimitCpu);
        Assert.False(d.CanLimitIo);
        Assert.Null(d.UnenforcedLimits(64 << 20, null, 10));
        var warning = d.UnenforcedLimits(64 << 20, 0.5, 10);
        Assert.NotNull(warning);
        Assert.StartsWith("-Cpus cannot be enforced", warning);
        Assert.DoesNotContain("-Memory", warning);
        Assert.Contains("'memory pids', not 'cpu'", warning);
    }

    [MachineFact(Needs.Root)]
    public void V2_OwnedDirectoryWithRootsSubtreeControl_IsNotADelegation()
    {
        SystemdHost();
        FileOwnership.LChown(Path.Combine(_fx.Dir(Service), "cgroup.subtree_control"), 0, 0);
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect();

        // The walk stops below the service: app.slice is the top of the user's contiguous run.
        Assert.True(d.CanEnforce, d.Reason);
        Assert.Equal(Service + "/app.slice", d.Delegated);
        Assert.Equal(Service + "/app.slice/podshell", d.Parent);
    }

    [MachineFact(Needs.Root)]
    public void V2_OwnedButWithoutOwnerWriteBit_IsNotADelegation()
    {
        SystemdHost();
        foreach (var p in new[] { Service, Service + "/app.slice", Service + "/app.slice/run-r1.scope" })
            FileOwnership.Chmod(_fx.Dir(p), 0x16D); // 0555
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect();

        AssertCannot(d);
        Assert.Null(d.Delegated);
    }

    [MachineFact(Needs.Root)]
    public void V2_DelegatedLeafWithOurProcess_CannotPassControllersDown()
    {
        Cgroup("/", controllers: "memory pids", subtree: "memory pids");
        Cgroup("/delegated", User, "memory pids", procs: "1234");
        Self("0::/delegated");

        var d = Detect();

        AssertCannot(d);
        Assert.Equal("/delegated", d.Delegated);
        Assert.Contains("has processes of its own", d.Reason);
    }

    [MachineFact(Needs.Root)]
    public void V2_DelegationWithoutControllers_CannotEnforce()
    {
        SystemdHost(serviceControllers: "");
        Self("0::" + Service + "/app.slice/run-r1.scope");

        var d = Detect();

        AssertCannot(d);
        Assert.Equal(Service, d.Delegated);
        Assert.Contains("offers no controllers", d.Reason);
    }

    [MachineFact(Needs.Root)]
    public void V2_OurCgroupMissingFromTheTree_CannotEnforce()
    {
        SystemdHost();
        Self("0::/elsewhere/ns-root");

        var d = Detect();

        AssertCannot(d);
        Assert.Contains("/elsewhere/ns-root does not exist", d.Reason);
    }

    [MachineTheory(Needs.Root)]
    [InlineData("")]
    [InlineData("garbage without colons")]
    [InlineData("1:name=systemd:/user.slice")]
    [InlineData("0::user.slice/relative")]
    [InlineData("0::/user.slice/../etc")]
    [InlineData("0::/a\n0::/b")]
    public void V2_MalformedProcSelfCgroup_CannotEnforce(string content)
    {
        SystemdHost();
        File.WriteAllText(SelfCgroup, content);

        var d = Detect();

        AssertCannot(d);
        Assert.Contains(SelfCgroup, d.Reason);
        Assert.Null(d.Own);
    }

    [MachineFact(Needs.Root)]
    public void V2_MissingProcSelfCgroup_CannotEnforce()
    {
        SystemdHost();

        var d = CgroupDelegation.Detect(User, CgroupMode.V2, _fx.MountRoot, Path.Combine(_fx.Root, "absent"));

        AssertCannot(d);
        Assert.Contains("cannot be read", d.Reason);
    }

    [MachineFact(Needs.Root)]
    public void Prepare_EnablesOnlyMissingControllersDownToTheParent_AndIsIdempotent()
    {
        SystemdHost(serviceControllers: "memory pids");
        _fx.Set(_fx.Dir(Service), "cgroup.subtree_control", "memory\n");
        // What mkdir on cgroupfs would have made: an empty subtree_control.
        var parentDir = Cgroup(Service + "/podshell", User, "memory");
        Self("0::" + Service + "/app.slice/run-r1.scope");
        var d = Detect();

        var dir = d.Prepare(_fx.MountRoot);

        Assert.Equal(parentDir, dir);
        Assert.Equal("+pids", File.ReadAllText(Path.Combine(_fx.Dir(Service), "cgroup.subtree_control")));
        Assert.Equal("+memory +pids", File.ReadAllText(Path.Combine(parentDir, "cgroup.subtree_control")));

        // As the kernel shows them after the writes: a second call must write nothing.
        _fx.Set(_fx.Dir(Service), "cgroup.subtree_control", "memory pids\n");
        _fx.Set(parentDir, "cgroup.subtree_control", "memory pids\n");
        Assert.Equal(parentDir, d.Prepare(_fx.MountRoot));
        Assert.Equal("memory pids\n", File.ReadAllText(Path.Combine(_fx.Dir(Service), "cgroup.subtree_control")));
        Assert.Equal("memory pids\n", File.ReadAllText(Path.Combine(parentDir, "cgroup.subtree_control")));
    }

    [MachineFact(Needs.Root)]
    public void Prepare_EnablesControllersInEveryDirectoryBetweenDelegatedAndParent()
    {
        SystemdHost(serviceControllers: "memory pids");
        var mid = Cgroup(Service + "/podshell.slice", User, "memory pids");
        var parentDir = Cgroup(Service + "/podshell.slice/containers", User);
        Self("0::" + Service + "/app.slice/run-r1.scope");
        var d = Detect(parentName: "podshell.slice/containers");

        Assert.Equal(parentDir, d.Prepare(_fx.MountRoot));

        Assert.Equal("memory pids\n", File.ReadAllText(Path.Combine(_fx.Dir(Service), "cgroup.subtree_control")));
        Assert.Equal("+memory +pids", File.ReadAllText(Path.Combine(mid, "cgroup.subtree_control")));
        Assert.Equal("+memory +pids", File.ReadAllText(Path.Combine(parentDir, "cgroup.subtree_control")));
    }

    [MachineFact(Needs.Root)]
    public void Prepare_WhenTheNewDirectoryIsNoCgroup_FailsClearlyAndRemovesWhatItMade()
    {
        SystemdHost(serviceControllers: "memory pids");
        Self("0::" + Service + "/app.slice/run-r1.scope");
        var d = Detect();
        var parentDir = Path.Combine(_fx.MountRoot, Service.TrimStart('/'), "podshell");

        // A plain directory gets no control files from mkdir, unlike a cgroupfs one.
        var e = Assert.Throws<PodShellException>(() => d.Prepare(_fx.MountRoot));

        Assert.Equal("CgroupDelegationFailed", e.ErrorId);
        Assert.Contains("not a cgroup v2 directory", e.Message);
        Assert.False(Directory.Exists(parentDir));
    }

    [MachineFact(Needs.Root)]
    public void Prepare_WithoutDelegation_ThrowsTheReason()
    {
        SystemdHost();
        Self("0::/user.slice/user-4242.slice/session-3.scope");
        var d = Detect();

        var e = Assert.Throws<PodShellException>(() => d.Prepare(_fx.MountRoot));

        Assert.Equal("CgroupNotDelegated", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
        Assert.Equal(d.Reason, e.Message);
        Assert.False(Directory.Exists(Path.Combine(_fx.MountRoot, Service.TrimStart('/'), "podshell")));
    }
}
