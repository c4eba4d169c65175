using System.Text.Json;
using PodShell.Engine;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Tests.Spec;

public class OciSpecBuilderTests
{
    private static readonly HostFacts HybridNoCap = new()
    {
        NofileSoft = 1024, NofileHard = 20000, NprocSoft = 96364, NprocHard = 96364,
        HasCapSysResource = false, CgroupV2Unified = false,
    };

    private static readonly HostFacts UnifiedWithCap = new()
    {
        NofileSoft = 1024, NofileHard = 20000, NprocSoft = 5000, NprocHard = 5000,
        HasCapSysResource = true, CgroupV2Unified = true,
    };

    private static ContainerSpec Minimal() => new()
    {
        Id = "0123456789ab",
        Name = "web",
        Hostname = "0123456789ab",
        Args = ["/bin/sh", "-c", "echo hi"],
        Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=podman"],
        RootfsPath = "/var/lib/podshell/overlay/abc/merged",
        CgroupsPath = "/podshell/0123456789ab",
    };

    private static JsonElement BuildRoot(ContainerSpec spec, HostFacts? host = null)
    {
        var text = OciSpecBuilder.Build(spec, host ?? HybridNoCap);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static JsonElement[] Mounts(JsonElement root) => root.GetProperty("mounts").EnumerateArray().ToArray();

    private static string[] Destinations(JsonElement root) =>
        Mounts(root).Select(m => m.GetProperty("destination").GetString()!).ToArray();

    private static JsonElement Mount(JsonElement root, string destination) =>
        Mounts(root).Single(m => m.GetProperty("destination").GetString() == destination);

    private static string[] NamespaceTypes(JsonElement root) =>
        root.GetProperty("linux").GetProperty("namespaces").EnumerateArray().Select(n => n.GetProperty("type").GetString()!).ToArray();

    [Fact]
    public void Top_level_keys_are_in_runtime_spec_order()
    {
        var spec = Minimal();
        spec.Annotations["io.container.manager"] = "podshell";
        var keys = BuildRoot(spec).EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["ociVersion", "process", "root", "hostname", "mounts", "annotations", "linux"], keys);
    }

    [Fact]
    public void Build_is_deterministic_and_indented()
    {
        var spec = Minimal();
        spec.Annotations["b"] = "2";
        spec.Annotations["a"] = "1";
        var first = OciSpecBuilder.Build(spec, HybridNoCap);
        var second = OciSpecBuilder.Build(spec, HybridNoCap);
        Assert.Equal(first, second);
        Assert.Contains("\n  \"process\"", first);
        var annotations = JsonDocument.Parse(first).RootElement.GetProperty("annotations").EnumerateObject().Select(p => p.Name);
        Assert.Equal(["a", "b"], annotations);
    }

    [Fact]
    public void Process_has_podman_defaults()
    {
        var spec = Minimal();
        spec.Cwd = "/srv";
        spec.Uid = 0;
        spec.Gid = 0;
        var root = BuildRoot(spec);
        Assert.Equal("1.0.2-dev", root.GetProperty("ociVersion").GetString());
        var process = root.GetProperty("process");
        Assert.False(process.GetProperty("terminal").GetBoolean());
        var user = process.GetProperty("user");
        Assert.Equal(0u, user.GetProperty("uid").GetUInt32());
        Assert.Equal(0u, user.GetProperty("gid").GetUInt32());
        Assert.Equal(18, user.GetProperty("umask").GetInt32());
        Assert.False(user.TryGetProperty("additionalGids", out _));
        Assert.Equal(spec.Args, Strings(process.GetProperty("args")));
        Assert.Equal(spec.Env, Strings(process.GetProperty("env")));
        Assert.Equal("/srv", process.GetProperty("cwd").GetString());
        Assert.False(process.TryGetProperty("noNewPrivileges", out _));
        Assert.False(process.TryGetProperty("oomScoreAdj", out _));
        Assert.Equal("0123456789ab", root.GetProperty("hostname").GetString());
        Assert.Equal("/var/lib/podshell/overlay/abc/merged", root.GetProperty("root").GetProperty("path").GetString());
        Assert.False(root.GetProperty("root").GetProperty("readonly").GetBoolean());
    }

    [Fact]
    public void User_terminal_and_readonly_root_pass_through()
    {
        var spec = Minimal();
        spec.Uid = 1000;
        spec.Gid = 100;
        spec.AdditionalGids = [10, 27];
        spec.Terminal = true;
        spec.ReadOnlyRootfs = true;
        var root = BuildRoot(spec);
        var user = root.GetProperty("process").GetProperty("user");
        Assert.Equal(1000u, user.GetProperty("uid").GetUInt32());
        Assert.Equal(100u, user.GetProperty("gid").GetUInt32());
        Assert.Equal([10u, 27u], user.GetProperty("additionalGids").EnumerateArray().Select(e => e.GetUInt32()));
        Assert.True(root.GetProperty("process").GetProperty("terminal").GetBoolean());
        Assert.True(root.GetProperty("root").GetProperty("readonly").GetBoolean());
    }

    [Fact]
    public void Root_gets_podmans_eleven_capabilities()
    {
        string[] expected =
        [
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
            "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
        ];
        Assert.Equal(expected, OciSpecBuilder.DefaultCapabilities);
        var caps = BuildRoot(Minimal()).GetProperty("process").GetProperty("capabilities");
        Assert.Equal(expected, Strings(caps.GetProperty("bounding")));
        Assert.Equal(expected, Strings(caps.GetProperty("effective")));
        Assert.Equal(expected, Strings(caps.GetProperty("permitted")));
        Assert.Empty(Strings(caps.GetProperty("inheritable")));
        Assert.Empty(Strings(caps.GetProperty("ambient")));
        Assert.DoesNotContain("CAP_NET_RAW", Strings(caps.GetProperty("bounding")));
        Assert.DoesNotContain("CAP_MKNOD", Strings(caps.GetProperty("bounding")));
        Assert.DoesNotContain("CAP_AUDIT_WRITE", Strings(caps.GetProperty("bounding")));
    }

    [Fact]
    public void Non_root_user_keeps_only_the_bounding_set()
    {
        var spec = Minimal();
        spec.Uid = 1000;
        var caps = BuildRoot(spec).GetProperty("process").GetProperty("capabilities");
        Assert.Equal(OciSpecBuilder.DefaultCapabilities, Strings(caps.GetProperty("bounding")));
        Assert.Empty(Strings(caps.GetProperty("effective")));
        Assert.Empty(Strings(caps.GetProperty("permitted")));
    }

    [Fact]
    public void Masked_and_readonly_paths_match_podman()
    {
        string[] podman431 =
        [
            "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
        ];
        var linux = BuildRoot(Minimal()).GetProperty("linux");
        var masked = Strings(linux.GetProperty("maskedPaths"));
        Assert.Equal(OciSpecBuilder.MaskedPaths, masked);
        foreach (var path in podman431.Concat(["/sys/devices/virtual/powercap", "/proc/interrupts"]))
        {
            Assert.Contains(path, masked);
        }
        Assert.Equal(masked.Length, masked.Distinct().Count());
        Assert.Equal(
            ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            Strings(linux.GetProperty("readonlyPaths")));
        Assert.Equal(OciSpecBuilder.ReadonlyPaths, Strings(linux.GetProperty("readonlyPaths")));
    }

    [Theory]
    [InlineData(20000UL, 20000UL, false, 20000UL, 20000UL)] // no CAP_SYS_RESOURCE: clamp to host hard limits
    [InlineData(20000UL, 20000UL, true, 1048576UL, 1048576UL)] // with it: podman's default
    [InlineData(ulong.MaxValue, 4000000UL, false, 1048576UL, 1048576UL)] // RLIM_INFINITY is not lowered to
    public void Rlimits_are_clamped_without_CAP_SYS_RESOURCE(ulong nofileHard, ulong nprocHard, bool hasCap, ulong nofile, ulong nproc)
    {
        var host = new HostFacts { NofileSoft = 1024, NofileHard = nofileHard, NprocSoft = 100, NprocHard = nprocHard, HasCapSysResource = hasCap };
        var rlimits = BuildRoot(Minimal(), host).GetProperty("process").GetProperty("rlimits").EnumerateArray().ToArray();
        Assert.Equal(["RLIMIT_NOFILE", "RLIMIT_NPROC"], rlimits.Select(r => r.GetProperty("type").GetString()));
        Assert.Equal(nofile, rlimits[0].GetProperty("soft").GetUInt64());
        Assert.Equal(nofile, rlimits[0].GetProperty("hard").GetUInt64());
        Assert.Equal(nproc, rlimits[1].GetProperty("soft").GetUInt64());
        Assert.Equal(nproc, rlimits[1].GetProperty("hard").GetUInt64());
    }

    [Fact]
    public void Mounts_follow_podmans_order_with_all_files()
    {
        var spec = Minimal();
        spec.HostnameFile = "/run/podshell/c/hostname";
        spec.HostsFile = "/run/podshell/c/hosts";
        spec.ResolvConfFile = "/run/podshell/c/resolv.conf";
        spec.ContainerEnvFile = "/run/podshell/c/.containerenv";
        spec.ShmDir = "/run/podshell/c/shm";
        var root = BuildRoot(spec);
        Assert.Equal(
            ["/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/etc/hostname", "/etc/resolv.conf", "/etc/hosts",
             "/dev/shm", "/run/.containerenv", "/sys/fs/cgroup"],
            Destinations(root));

        var hosts = Mount(root, "/etc/hosts");
        Assert.Equal("bind", hosts.GetProperty("type").GetString());
        Assert.Equal("/run/podshell/c/hosts", hosts.GetProperty("source").GetString());
        Assert.Equal(["bind", "rprivate"], Strings(hosts.GetProperty("options")));
        Assert.Equal("/run/podshell/c/hostname", Mount(root, "/etc/hostname").GetProperty("source").GetString());
        Assert.Equal("/run/podshell/c/resolv.conf", Mount(root, "/etc/resolv.conf").GetProperty("source").GetString());
        Assert.Equal("/run/podshell/c/.containerenv", Mount(root, "/run/.containerenv").GetProperty("source").GetString());

        var shm = Mount(root, "/dev/shm");
        Assert.Equal("bind", shm.GetProperty("type").GetString());
        Assert.Equal("/run/podshell/c/shm", shm.GetProperty("source").GetString());
        Assert.Equal(["bind", "rprivate", "nosuid", "noexec", "nodev"], Strings(shm.GetProperty("options")));
    }

    [Fact]
    public void Base_mounts_have_secure_options()
    {
        var root = BuildRoot(Minimal());
        Assert.Equal(["nosuid", "noexec", "nodev"], Strings(Mount(root, "/proc").GetProperty("options")));
        Assert.Equal("proc", Mount(root, "/proc").GetProperty("type").GetString());
        Assert.Equal(["nosuid", "noexec", "strictatime", "mode=755", "size=65536k"], Strings(Mount(root, "/dev").GetProperty("options")));
        Assert.Equal(["nosuid", "noexec", "nodev", "ro"], Strings(Mount(root, "/sys").GetProperty("options")));
        Assert.Equal(["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"], Strings(Mount(root, "/dev/pts").GetProperty("options")));
        Assert.Equal(["nosuid", "noexec", "nodev"], Strings(Mount(root, "/dev/mqueue").GetProperty("options")));
        var cgroup = Mount(root, "/sys/fs/cgroup");
        Assert.Equal("cgroup", cgroup.GetProperty("type").GetString());
        Assert.Equal(["rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"], Strings(cgroup.GetProperty("options")));
    }

    [Fact]
    public void Bind_files_appear_only_when_set()
    {
        var root = BuildRoot(Minimal());
        Assert.Equal(["/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/dev/shm", "/sys/fs/cgroup"], Destinations(root));
        var shm = Mount(root, "/dev/shm");
        Assert.Equal("tmpfs", shm.GetProperty("type").GetString());
        Assert.Equal(["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"], Strings(shm.GetProperty("options")));

        var spec = Minimal();
        spec.HostsFile = "/run/x/hosts";
        root = BuildRoot(spec);
        Assert.Equal(["/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/etc/hosts", "/dev/shm", "/sys/fs/cgroup"], Destinations(root));
    }

    [Fact]
    public void Resources_for_128MiB_half_a_cpu_and_64_pids()
    {
        var spec = Minimal();
        spec.MemoryMax = ByteSize.Parse("128MiB");
        spec.Cpus = 0.5;
        spec.PidsLimit = 64;
        var resources = BuildRoot(spec).GetProperty("linux").GetProperty("resources");
        var device = Assert.Single(resources.GetProperty("devices").EnumerateArray());
        Assert.False(device.GetProperty("allow").GetBoolean());
        Assert.Equal("rwm", device.GetProperty("access").GetString());
        Assert.Equal(134217728L, resources.GetProperty("memory").GetProperty("limit").GetInt64());
        Assert.False(resources.GetProperty("memory").TryGetProperty("swap", out _));
        Assert.Equal(50000L, resources.GetProperty("cpu").GetProperty("quota").GetInt64());
        Assert.Equal(100000L, resources.GetProperty("cpu").GetProperty("period").GetInt64());
        Assert.Equal(64L, resources.GetProperty("pids").GetProperty("limit").GetInt64());
    }

    [Fact]
    public void Cpu_quota_is_rounded_not_truncated()
    {
        var spec = Minimal();
        spec.Cpus = 0.29; // 0.29 * 100000 = 28999.999999999996 in binary floating point
        var cpu = BuildRoot(spec).GetProperty("linux").GetProperty("resources").GetProperty("cpu");
        Assert.Equal(29000L, cpu.GetProperty("quota").GetInt64());
    }

    [Fact]
    public void Unset_limits_give_only_podmans_default_pids_limit()
    {
        var resources = BuildRoot(Minimal()).GetProperty("linux").GetProperty("resources");
        Assert.False(resources.TryGetProperty("memory", out _));
        Assert.False(resources.TryGetProperty("cpu", out _));
        Assert.Equal(2048L, resources.GetProperty("pids").GetProperty("limit").GetInt64());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public void Unlimited_pids_and_memory_are_omitted(long pids)
    {
        var spec = Minimal();
        spec.PidsLimit = pids;
        spec.MemoryMax = long.MaxValue;
        var resources = BuildRoot(spec).GetProperty("linux").GetProperty("resources");
        Assert.False(resources.TryGetProperty("pids", out _));
        Assert.False(resources.TryGetProperty("memory", out _));
    }

    [Fact]
    public void Network_none_gets_a_private_netns_and_the_ping_sysctl()
    {
        var linux = BuildRoot(Minimal()).GetProperty("linux");
        var network = linux.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("type").GetString() == "network");
        Assert.False(network.TryGetProperty("path", out _));
        Assert.Equal("0 0", linux.GetProperty("sysctl").GetProperty("net.ipv4.ping_group_range").GetString());
    }

    [Fact]
    public void Network_host_has_no_netns_and_no_net_sysctl()
    {
        var spec = Minimal();
        spec.NetworkMode = "host";
        var linux = BuildRoot(spec).GetProperty("linux");
        Assert.DoesNotContain("network", NamespaceTypes(BuildRoot(spec)));
        Assert.False(linux.TryGetProperty("sysctl", out _));
        Assert.Equal(["pid", "ipc", "uts", "mount"], NamespaceTypes(BuildRoot(spec)));
    }

    [Fact]
    public void Network_ns_path_joins_that_namespace()
    {
        var spec = Minimal();
        spec.NetworkMode = "ns:/run/netns/netns-1234";
        var linux = BuildRoot(spec).GetProperty("linux");
        var network = linux.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("type").GetString() == "network");
        Assert.Equal("/run/netns/netns-1234", network.GetProperty("path").GetString());
        Assert.Equal("0 0", linux.GetProperty("sysctl").GetProperty("net.ipv4.ping_group_range").GetString());
    }

    [Theory]
    [InlineData("bridge")]
    [InlineData("ns:")]
    [InlineData("ns:relative/path")]
    [InlineData("")]
    [InlineData("Host")]
    public void Unknown_network_modes_are_rejected(string mode)
    {
        var spec = Minimal();
        spec.NetworkMode = mode;
        var ex = Assert.Throws<PodShellException>(() => OciSpecBuilder.Build(spec, HybridNoCap));
        Assert.Equal("InvalidNetworkMode", ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
        Assert.Equal(mode, ex.Target);
    }

    [Fact]
    public void Cgroup_namespace_only_on_unified_v2()
    {
        Assert.Equal(["pid", "network", "ipc", "uts", "mount"], NamespaceTypes(BuildRoot(Minimal(), HybridNoCap)));
        Assert.Equal(["pid", "network", "ipc", "uts", "mount", "cgroup"], NamespaceTypes(BuildRoot(Minimal(), UnifiedWithCap)));
    }

    [Fact]
    public void Linux_section_has_cgroups_path_and_the_default_seccomp_profile()
    {
        var linux = BuildRoot(Minimal()).GetProperty("linux");
        Assert.Equal("/podshell/0123456789ab", linux.GetProperty("cgroupsPath").GetString());
        Assert.Equal("SCMP_ACT_ERRNO", linux.GetProperty("seccomp").GetProperty("defaultAction").GetString());
        Assert.DoesNotContain("user", NamespaceTypes(BuildRoot(Minimal())));
    }

    [Fact]
    public void Annotations_are_written_when_present_only()
    {
        Assert.False(BuildRoot(Minimal()).TryGetProperty("annotations", out _));
        var spec = Minimal();
        spec.Annotations["io.container.manager"] = "podshell";
        spec.Annotations["org.opencontainers.image.stopSignal"] = "15";
        var annotations = BuildRoot(spec).GetProperty("annotations");
        Assert.Equal("podshell", annotations.GetProperty("io.container.manager").GetString());
        Assert.Equal("15", annotations.GetProperty("org.opencontainers.image.stopSignal").GetString());
    }

    [Fact]
    public void Special_characters_round_trip()
    {
        var spec = Minimal();
        spec.Args = ["/bin/sh", "-c", "echo \"quoted\" 'single' \\ <tag> & ü"];
        spec.Env = ["MSG=a=b\nline2"];
        var process = BuildRoot(spec).GetProperty("process");
        Assert.Equal(spec.Args, Strings(process.GetProperty("args")));
        Assert.Equal(spec.Env, Strings(process.GetProperty("env")));
    }

    public static TheoryData<string, Action<ContainerSpec>> InvalidSpecs => new()
    {
        { "InvalidContainerSpec", s => s.Args = [] },
        { "InvalidContainerSpec", s => s.Args = [""] },
        { "InvalidContainerSpec", s => s.RootfsPath = "" },
        { "InvalidContainerSpec", s => s.RootfsPath = "rootfs" },
        { "InvalidContainerSpec", s => s.Cwd = "srv" },
        { "InvalidContainerSpec", s => s.HostsFile = "hosts" },
        { "InvalidContainerSpec", s => s.ShmDir = "shm" },
        { "InvalidMemory", s => s.MemoryMax = 4 * 1024 * 1024 },
        { "InvalidMemory", s => s.MemoryMax = 0 },
        { "InvalidMemory", s => s.MemoryMax = -1 },
        { "InvalidCpus", s => s.Cpus = 0 },
        { "InvalidCpus", s => s.Cpus = -1 },
        { "InvalidCpus", s => s.Cpus = 0.001 },
        { "InvalidCpus", s => s.Cpus = double.NaN },
        { "InvalidCpus", s => s.Cpus = double.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public void Invalid_specs_are_rejected(string errorId, Action<ContainerSpec> change)
    {
        var spec = Minimal();
        change(spec);
        var ex = Assert.Throws<PodShellException>(() => OciSpecBuilder.Build(spec, HybridNoCap));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
    }
}
