using PodShell.Engine.Cgroups;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Cgroups;

/// <summary>Delegation detection against the real cgroupfs of a hybrid host; skipped, with the reason, elsewhere.</summary>
public class RealCgroupDelegationTests
{
    private const string Unified = "/sys/fs/cgroup/unified";

    [MachineFact(Needs.CgroupHybrid)]
    public void AHybridHost_CannotEnforceRootlessLimits()
    {
        var mode = CgroupHost.Detect();

        var d = CgroupDelegation.Detect(1000, mode);

        Assert.False(d.CanEnforce);
        Assert.Null(d.Parent);
        Assert.Empty(d.Controllers);
        Assert.Contains("-Memory/-Cpus/-PidsLimit cannot be enforced for rootless containers", d.Reason);
        Assert.Equal("CgroupNotDelegated", Assert.Throws<PodShellException>(() => d.Prepare()).ErrorId);
    }

    [MachineFact(Needs.Root | Needs.CgroupHybrid)]
    public void RealCgroup2Tree_OwnershipOfChownedCgroupFilesIsSeen()
    {
        // The hybrid host's cgroup2 tree takes chown like a v2 host's: a subtree made here and chowned the way
        // systemd delegates is found, and, since its parent enables nothing, has no controllers to offer.
        const int uid = 4242;
        var top = "/podshell-xunit-" + Guid.NewGuid().ToString("N")[..12];
        var topDir = Unified + top;
        var delegDir = topDir + "/deleg";
        var leafDir = delegDir + "/leaf";
        var self = Path.Combine(Path.GetTempPath(), "podshell-selfcg-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(leafDir);
            foreach (var path in new[] { delegDir, delegDir + "/cgroup.procs", delegDir + "/cgroup.subtree_control" })
                FileOwnership.LChown(path, uid, uid);
            File.WriteAllText(self, "0::" + top + "/deleg/leaf\n");

            var d = CgroupDelegation.Detect(uid, CgroupMode.V2, Unified, self);

            Assert.Equal(top + "/deleg/leaf", d.Own);
            Assert.Equal(top + "/deleg", d.Delegated);
            Assert.False(d.CanEnforce);
            Assert.Contains("offers no controllers", d.Reason);

            var other = CgroupDelegation.Detect(uid + 1, CgroupMode.V2, Unified, self);
            Assert.Null(other.Delegated);
            Assert.StartsWith("cgroup v2 without delegation: ", other.Reason);
        }
        finally
        {
            File.Delete(self);
            foreach (var dir in new[] { leafDir, delegDir, topDir })
                CgroupDirectory.Remove(dir);
        }
        Assert.False(Directory.Exists(topDir));
    }
}
