using System.Globalization;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Tests.Spec;

public class HostFactsTests
{
    // /proc/self/limits is the kernel's own rendering of the same limits getrlimit returns, so it is an
    // independent check of the P/Invoke (struct layout, resource numbers).
    private static (ulong Soft, ulong Hard) LimitsFromProc(string label)
    {
        var line = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith(label, StringComparison.Ordinal));
        var fields = line[label.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static ulong Value(string s) => s == "unlimited" ? ulong.MaxValue : ulong.Parse(s, CultureInfo.InvariantCulture);
        return (Value(fields[0]), Value(fields[1]));
    }

    private static string? FsTypeFromMountInfo(string mountPoint)
    {
        // The last entry for a mount point is the one on top.
        string? type = null;
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields[4] == mountPoint && dash > 0)
            {
                type = fields[dash + 1];
            }
        }
        return type;
    }

    [Fact]
    public void Probe_matches_proc_self_limits_and_status()
    {
        var facts = HostFacts.Probe();
        Assert.Equal(LimitsFromProc("Max open files"), (facts.NofileSoft, facts.NofileHard));
        Assert.Equal(LimitsFromProc("Max processes"), (facts.NprocSoft, facts.NprocHard));

        var capEff = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        var mask = ulong.Parse(capEff["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal((mask & (1UL << 24)) != 0, facts.HasCapSysResource);

        Assert.Equal(FsTypeFromMountInfo("/sys/fs/cgroup") == "cgroup2", facts.CgroupV2Unified);
    }

    [Fact]
    public void Cgroup2_magic_is_recognised_where_cgroup2_is_mounted()
    {
        foreach (var mountPoint in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
        {
            var type = FsTypeFromMountInfo(mountPoint);
            if (type is null) continue;
            Assert.Equal(type == "cgroup2", SpecHostProbe.IsCgroupV2Unified(mountPoint));
        }
        Assert.Equal(0x01021994L, SpecHostProbe.FileSystemType("/dev/shm")); // TMPFS_MAGIC
        Assert.False(SpecHostProbe.IsCgroupV2Unified("/nonexistent-" + Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public void Capability_status_field_parser()
    {
        const string status = "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t00000000800405fb\nCapBnd:\t000001ffffffffff\n";
        Assert.Equal(0x800405fbUL, Capabilities.ParseStatusField(status, "CapEff"));
        Assert.Equal(0x1fffeffffffUL, Capabilities.ParseStatusField(status, "CapPrm"));
        Assert.Throws<FormatException>(() => Capabilities.ParseStatusField(status, "CapAmb"));
        Assert.Throws<FormatException>(() => Capabilities.ParseStatusField("CapEff:\tzz\n", "CapEff"));
    }

    [Fact]
    public void Resource_limit_of_an_invalid_resource_throws()
    {
        Assert.Throws<System.ComponentModel.Win32Exception>(() => ResourceLimits.Get(9999));
    }
}
