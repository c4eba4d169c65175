using System.Diagnostics;

namespace PodShell.Engine.Tests;

/// <summary>The answers the tests' skip conditions rest on, checked against other sources on whatever machine runs
/// them: a wrong answer would skip tests that can run, or run tests that cannot.</summary>
public sealed class MachineTests
{
    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Trim();
    }

    [Fact]
    public void EffectiveUid_IsWhatIdSays_AndRootIsUid0()
    {
        Assert.Equal(Run("id", "-u"), Machine.EffectiveUid.ToString());
        Assert.Equal(Machine.EffectiveUid == 0, Machine.IsRoot);
        Assert.Equal(Machine.IsRoot ? null : $"needs root (running as uid {Machine.EffectiveUid})", Machine.Missing(Needs.Root));
    }

    [Fact]
    public void OwnMemoryCgroup_IsFoundWhereThisMachineMountsIt()
    {
        // /proc/self/cgroup names our cgroup per hierarchy; the directory must exist where Machine says the
        // memory controller is (the v1 memory hierarchy, or the cgroup2 tree of a v2 host).
        var lines = File.ReadAllLines("/proc/self/cgroup");
        var memory = lines.FirstOrDefault(l => l.Split(':')[1].Split(',').Contains("memory"))
            ?? (Machine.Cgroups == PodShell.Engine.Cgroups.CgroupMode.V2 ? lines.Single(l => l.StartsWith("0::", StringComparison.Ordinal)) : null);
        Assert.NotNull(memory);
        Assert.True(Directory.Exists(Machine.MemoryCgroupDirectory(memory.Split(':', 3)[2])));
    }

    [Fact]
    public void Missing_NamesEveryNeedAndProgramThatIsNotThere()
    {
        Assert.Null(Machine.Missing(Needs.None));
        var absent = "/nonexistent-" + Guid.NewGuid().ToString("N") + "/prog";
        Assert.Contains($"needs {absent}, which is not installed", Machine.Missing(Needs.None, new[] { absent }));
        Assert.Equal(Machine.HasTun ? null : "needs /dev/net/tun", Machine.Missing(Needs.Tun));
    }
}
