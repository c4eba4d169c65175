using System.Diagnostics;
using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Tests.Cgroups;

/// <summary>Against the real cgroupfs of a v1 or hybrid host, as root; skipped, with the reason, elsewhere.</summary>
public class RealCgroupV1Tests
{
    [MachineFact(Needs.Root | Needs.CgroupV1)]
    public void ReadAndRemove_ARealCgroupWithALiveProcess()
    {
        var driver = (CgroupV1Driver)CgroupHost.CreateDriver(CgroupHost.Detect());
        var layout = driver.ReadLayout();
        var name = "podshell-xunit-" + Guid.NewGuid().ToString("N")[..12];
        var path = "/" + name;

        // On hosts where cpu and cpuacct are co-mounted these resolve to the same directory.
        var dirs = new[] { "memory", "pids", "cpu", "cpuacct" }
            .ToDictionary(c => c, c => Path.Combine(layout.ByController[c].MountPoint, name));
        var created = new List<string>();
        Process? child = null;
        try
        {
            foreach (var dir in dirs.Values.Distinct())
            {
                Directory.CreateDirectory(dir);
                created.Add(dir);
            }
            File.WriteAllText(Path.Combine(dirs["memory"], "memory.limit_in_bytes"), "134217728");
            File.WriteAllText(Path.Combine(dirs["pids"], "pids.max"), "64");
            File.WriteAllText(Path.Combine(dirs["cpu"], "cpu.cfs_quota_us"), "50000");

            child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
            foreach (var dir in created)
                File.WriteAllText(Path.Combine(dir, "cgroup.procs"), child.Id.ToString());

            var cg = driver.Read(child.Id);
            Assert.Equal(1, cg.Version);
            Assert.Equal(path, cg.Path);
            Assert.Equal(134217728, cg.MemoryMax);
            Assert.Equal(64, cg.PidsMax);
            Assert.Equal(1, cg.PidsCurrent);
            Assert.Equal(50000, cg.CpuQuota);
            Assert.Equal(100000, cg.CpuPeriod);
            Assert.Equal(0.5, cg.Cpus);
            // cpuacct charges only from the move on, and sleep has been asleep since: just read, not > 0.
            Assert.Contains("cpuacct.usage", cg.Files.Keys);
            Assert.Equal(dirs["memory"], cg.Directories["memory"]);
            Assert.Equal(dirs["cpuacct"], cg.Directories["cpuacct"]);
            Assert.Contains("memory.usage_in_bytes", cg.Files.Keys);

            var byPath = driver.ReadPath(path);
            Assert.Equal(134217728, byPath.MemoryMax);
            Assert.Equal(64, byPath.PidsMax);
            Assert.True(driver.Exists(path));

            // A populated cgroup cannot go: the kernel answers EBUSY.
            Assert.False(driver.RemoveIfEmpty(path));
            Assert.Equal("CgroupBusy", Assert.Throws<PodShellException>(() => driver.Remove(path)).ErrorId);
            Assert.All(created, d => Assert.True(Directory.Exists(d)));
        }
        finally
        {
            if (child is not null)
            {
                // Kill by the pid of the process we started; WaitForExit reaps it, emptying the cgroup.
                if (!child.HasExited)
                    Process.GetProcessById(child.Id).Kill();
                child.WaitForExit();
                child.Dispose();
            }
            try
            {
                driver.Remove(path);
            }
            finally
            {
                foreach (var dir in created.Where(Directory.Exists))
                    Directory.Delete(dir);
            }
        }
        Assert.All(created, d => Assert.False(Directory.Exists(d)));
        Assert.False(driver.Exists(path));
    }

    [MachineFact(Needs.CgroupV1)]
    public void ReadOwnProcess_OnThisHost()
    {
        var driver = CgroupHost.CreateDriver(CgroupHost.Detect());
        var cg = driver.Read(Environment.ProcessId);
        Assert.Equal(1, cg.Version);
        Assert.Contains("memory", cg.Directories.Keys);
        Assert.Contains("pids", cg.Directories.Keys);
        // Path names the memory hierarchy's cgroup, as /proc/self/cgroup prints it.
        var memoryLine = File.ReadAllLines("/proc/self/cgroup").Single(l => l.Split(':')[1].Split(',').Contains("memory"));
        Assert.Equal(memoryLine.Split(':', 3)[2], cg.Path);
        Assert.True(cg.CpuUsage > 0, "this test process has used CPU time");
    }

    [MachineFact(Needs.Root | Needs.CgroupHybrid)]
    public void RealUnifiedHierarchy_ReadByTheV2Driver()
    {
        // The hybrid unified tree is a real cgroup2 mount (hugetlb only): the v2 driver reads its core
        // files and reports controller figures it cannot see as unlimited.
        var driver = new CgroupV2Driver("/sys/fs/cgroup/unified");
        var name = "/podshell-xunit-" + Guid.NewGuid().ToString("N")[..12];
        var dir = "/sys/fs/cgroup/unified" + name;
        Process? child = null;
        try
        {
            Directory.CreateDirectory(dir);
            child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), child.Id.ToString());

            var cg = driver.Read(child.Id);
            Assert.Equal(2, cg.Version);
            Assert.Equal(name, cg.Path);
            Assert.Equal(dir, cg.Directories["unified"]);
            Assert.Contains("cpu.stat", cg.Files.Keys);
            Assert.Equal(long.MaxValue, cg.MemoryMax);
            Assert.Equal(long.MaxValue, cg.PidsMax);
            Assert.Equal("CgroupBusy", Assert.Throws<PodShellException>(() => driver.Remove(name)).ErrorId);
        }
        finally
        {
            if (child is not null)
            {
                if (!child.HasExited)
                    Process.GetProcessById(child.Id).Kill();
                child.WaitForExit();
                child.Dispose();
            }
            driver.Remove(name);
        }
        Assert.False(Directory.Exists(dir));
    }
}
