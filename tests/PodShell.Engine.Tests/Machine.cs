using System.Diagnostics;
using PodShell.Engine.Cgroups;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Tests;

/// <summary>What a test needs of the machine it runs on.</summary>
[Flags]
public enum Needs
{
    None = 0,
    /// <summary>Effective uid 0: mounts, cgroups, network namespaces, runc.</summary>
    Root = 1,
    /// <summary>A cgroup v1 memory hierarchy (a v1 or hybrid host).</summary>
    CgroupV1 = 2,
    /// <summary>A hybrid host: v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified.</summary>
    CgroupHybrid = 4,
    /// <summary>A pure cgroup v2 host (cgroup2 at /sys/fs/cgroup).</summary>
    CgroupV2 = 8,
    /// <summary>/dev/net/tun (slirp4netns).</summary>
    Tun = 16,
    /// <summary>The kernel runs 32-bit (int 0x80) system calls of x86-64 programs.</summary>
    Ia32Emulation = 32,
}

/// <summary>The machine the tests run on, asked instead of assumed: a test that needs root, a cgroup layout,
/// /dev/net/tun or a program says so with <see cref="MachineFactAttribute"/> and is reported as skipped, with
/// the reason, where the machine does not have it (never as passed).</summary>
public static class Machine
{
    /// <summary>The effective uid, from /proc/self/status ("Uid: real effective saved fs").</summary>
    public static int EffectiveUid { get; } = ReadEffectiveUid();

    public static bool IsRoot => EffectiveUid == 0;

    /// <summary>The host's cgroup layout, or null when none is mounted.</summary>
    public static CgroupMode? Cgroups { get; } = DetectCgroups();

    /// <summary>The mount point of the v1 memory hierarchy (/sys/fs/cgroup/memory on most hosts), or null.</summary>
    public static string? CgroupV1MemoryMount { get; } = FindMount(m => !m.IsV2 && m.Controllers.Contains("memory"));

    /// <summary>The mount point of the cgroup2 tree (/sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a
    /// hybrid one), or null.</summary>
    public static string? CgroupV2Mount { get; } = FindMount(m => m.IsV2);

    /// <summary>The directory of a cgroup (its path from the hierarchy root) where the memory controller is: in
    /// the v1 memory hierarchy, or in the cgroup2 tree of a pure v2 host.</summary>
    public static string MemoryCgroupDirectory(string relative) =>
        CgroupMount.Join((Cgroups == CgroupMode.V2 ? CgroupV2Mount : CgroupV1MemoryMount)
            ?? throw new InvalidOperationException($"No memory controller is mounted (cgroups: {Describe(Cgroups)})."), relative);

    /// <summary>The type of the file system mounted at <paramref name="mountPoint"/> (the last mount there), or null.</summary>
    public static string? MountType(string mountPoint) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(" - ", 2)).Where(p => p.Length == 2)
            .Where(p => p[0].Split(' ')[4] == mountPoint).Select(p => p[1].Split(' ')[0]).LastOrDefault();

    public static bool HasTun => File.Exists("/dev/net/tun");

    /// <summary>Asked the honest way: a 136-byte static x86-64 program makes an i386 getpid through int 0x80 and
    /// exits 0. A kernel without IA32 emulation (CONFIG_IA32_EMULATION off, or ia32_emulation=0 on its command
    /// line) has no 32-bit syscall entry and the program dies of SIGSEGV. Neither /boot/config-* nor
    /// /proc/config.gz exists on every kernel; running the program works everywhere.</summary>
    public static bool Has32BitEmulation => _ia32.Value;
    private static readonly Lazy<bool> _ia32 = new(ProbeIa32);

    public const string Int80Program = "f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAEAAOAABAAAAAAAAAAEAAAAFAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAiAAAAAAAAACIAAAAAAAAAAAQAAAAAAAAuBQAAADNgLg8AAAAMf8PBQ==";

    /// <summary>The program's path (PATH, the sbin and podman helper directories), or null.</summary>
    public static string? Program(string name) => HostProgram.Find(name);

    /// <summary>Why a test with these needs cannot run here; null when it can.</summary>
    public static string? Missing(Needs needs, IEnumerable<string>? programs = null)
    {
        var why = new List<string>();
        if (needs.HasFlag(Needs.Root) && !IsRoot) why.Add($"needs root (running as uid {EffectiveUid})");
        if (needs.HasFlag(Needs.CgroupV1) && CgroupV1MemoryMount is null) why.Add($"needs a cgroup v1 memory hierarchy (this host: {Describe(Cgroups)})");
        if (needs.HasFlag(Needs.CgroupHybrid) && Cgroups != CgroupMode.Hybrid) why.Add($"needs a hybrid cgroup host (this host: {Describe(Cgroups)})");
        if (needs.HasFlag(Needs.CgroupV2) && Cgroups != CgroupMode.V2) why.Add($"needs a pure cgroup v2 host (this host: {Describe(Cgroups)})");
        if (needs.HasFlag(Needs.Tun) && !HasTun) why.Add("needs /dev/net/tun");
        if (needs.HasFlag(Needs.Ia32Emulation) && !Has32BitEmulation) why.Add("needs the kernel's 32-bit (IA32) emulation, which is off here");
        foreach (var p in programs ?? Array.Empty<string>())
            if (Program(p) is null) why.Add($"needs {p}, which is not installed (build.ps1 Bootstrap installs it)");
        return why.Count == 0 ? null : string.Join("; ", why);
    }

    private static string Describe(CgroupMode? mode) => mode?.ToString() ?? "no cgroups mounted";

    private static int ReadEffectiveUid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
        return -1;
    }

    private static CgroupMode? DetectCgroups()
    {
        try { return CgroupHost.Detect(); }
        catch (PodShellException) { return null; }
    }

    private static string? FindMount(Func<CgroupMount, bool> match)
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            if (CgroupMount.Parse(line) is { } m && match(m))
                return m.MountPoint;
        return null;
    }

    private static bool ProbeIa32()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64) return false;
        var path = Path.Combine(Path.GetTempPath(), $"podshell-int80-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(path, Convert.FromBase64String(Int80Program));
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            using var p = Process.Start(new ProcessStartInfo(path) { UseShellExecute = false })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; } // a noexec /tmp: cannot tell, so do not claim it
        finally { File.Delete(path); }
    }
}

/// <summary>A [Fact] that is skipped, with the reason, on a machine without what it <see cref="Needs"/>.</summary>
public sealed class MachineFactAttribute : FactAttribute
{
    public MachineFactAttribute(Needs needs)
    {
        Needs = needs;
        Skip = Machine.Missing(needs)!;
    }

    public Needs Needs { get; }

    /// <summary>Programs the test starts itself (the engine's own are the engine's business: it names the package).</summary>
    public string[] Programs
    {
        get => _programs;
        set { _programs = value; Skip = Machine.Missing(Needs, value)!; }
    }
    private string[] _programs = Array.Empty<string>();
}

/// <summary>A [Theory] that is skipped, with the reason, on a machine without what it <see cref="Needs"/>.</summary>
public sealed class MachineTheoryAttribute : TheoryAttribute
{
    public MachineTheoryAttribute(Needs needs)
    {
        Needs = needs;
        Skip = Machine.Missing(needs)!;
    }

    public Needs Needs { get; }

    public string[] Programs
    {
        get => _programs;
        set { _programs = value; Skip = Machine.Missing(Needs, value)!; }
    }
    private string[] _programs = Array.Empty<string>();
}
