using System.Globalization;
using System.Text.Json;
using PodShell.Engine;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Tests.Spec;

/// <summary>The security half of the spec: seccomp profile, capabilities, privileged mode, ulimits,
/// devices, shm size, read-only root and tmpfs.</summary>
public class SecuritySpecTests
{
    private static readonly HostFacts Host = new()
    {
        NofileSoft = 1024, NofileHard = 20000, NprocSoft = 5000, NprocHard = 5000,
        HasCapSysResource = false, CgroupV2Unified = false, Architecture = "amd64",
        HardLimits = new Dictionary<string, ulong> { ["nofile"] = 20000, ["nproc"] = 5000, ["core"] = Ulimit.Unlimited },
    };

    private static ContainerSpec Minimal() => new()
    {
        Id = "0123456789ab",
        Name = "sec",
        Args = ["/bin/sh"],
        RootfsPath = "/var/lib/podshell/overlay/abc/merged",
        CgroupsPath = "/podshell/0123456789ab",
    };

    private static JsonElement Build(ContainerSpec spec, HostFacts? host = null) =>
        JsonDocument.Parse(OciSpecBuilder.Build(spec, host ?? Host)).RootElement.Clone();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static JsonElement[] Rules(JsonElement seccomp) => seccomp.GetProperty("syscalls").EnumerateArray().ToArray();

    private static JsonElement[] RulesFor(JsonElement seccomp, string name) =>
        Rules(seccomp).Where(r => Strings(r.GetProperty("names")).Contains(name)).ToArray();

    private static JsonElement Seccomp(ContainerSpec spec, HostFacts? host = null) => Build(spec, host).GetProperty("linux").GetProperty("seccomp");

    // ---- seccomp: the default profile ----

    [Fact]
    public void Default_profile_answers_unknown_syscalls_with_ENOSYS_on_the_native_architecture()
    {
        var seccomp = Seccomp(Minimal());
        Assert.Equal("SCMP_ACT_ERRNO", seccomp.GetProperty("defaultAction").GetString());
        Assert.Equal(38, seccomp.GetProperty("defaultErrnoRet").GetInt32());
        // Only the native ABI: runc compiles the rules once per listed architecture, and an unlisted ABI
        // is killed by the kernel's bad-architecture action rather than let through.
        Assert.Equal(["SCMP_ARCH_X86_64"], Strings(seccomp.GetProperty("architectures")));
        // add_key is a real syscall the profile does not list: it must fall to the default action.
        Assert.Empty(RulesFor(seccomp, "add_key"));
        Assert.Empty(RulesFor(seccomp, "mount_setattr"));
    }

    [Fact]
    public void Compat_profile_lists_the_i386_and_x32_abis_with_the_same_rules()
    {
        var native = Seccomp(Minimal());
        var spec = Minimal();
        spec.SeccompCompatAbis = true;
        var compat = Seccomp(spec);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], Strings(compat.GetProperty("architectures")));
        Assert.Equal(native.GetProperty("syscalls").GetRawText(), compat.GetProperty("syscalls").GetRawText());
    }

    [Theory]
    [InlineData("386", "amd64", true)]
    [InlineData("arm", "arm64", true)]
    [InlineData("amd64", "amd64", false)]
    [InlineData("arm64", "arm64", false)]
    [InlineData("arm64", "amd64", false)]
    [InlineData("386", "ppc64le", false)]
    public void A_32_bit_image_needs_the_compat_abis_of_its_64_bit_host(string image, string host, bool expected) =>
        Assert.Equal(expected, SeccompProfile.NeedsCompatAbis(image, host));

    [Fact]
    public void Default_profile_allows_what_busybox_needs()
    {
        var seccomp = Seccomp(Minimal());
        var allowAll = Rules(seccomp).Single(r => r.GetProperty("action").GetString() == "SCMP_ACT_ALLOW" && Strings(r.GetProperty("names")).Contains("read"));
        Assert.False(allowAll.TryGetProperty("args", out _));
        var names = Strings(allowAll.GetProperty("names"));
        foreach (var n in new[] { "read", "write", "execve", "clone", "clone3", "wait4", "nanosleep", "clock_nanosleep", "openat", "newfstatat", "getdents64", "rt_sigaction", "exit_group", "mmap", "brk", "ioctl", "statx", "prlimit64", "rseq" })
        {
            Assert.Contains(n, names);
        }
        Assert.True(names.Length > 300, $"only {names.Length} syscalls allowed");
        Assert.Equal(names.Length, names.Distinct().Count());
    }

    [Theory]
    [InlineData("kexec_load")]
    [InlineData("kexec_file_load")]
    [InlineData("bpf")]
    [InlineData("perf_event_open")]
    [InlineData("init_module")]
    [InlineData("finit_module")]
    [InlineData("delete_module")]
    [InlineData("clock_settime")]
    [InlineData("iopl")]
    [InlineData("ioperm")]
    [InlineData("swapon")]
    [InlineData("ptrace")]
    [InlineData("sethostname")]
    public void Dangerous_syscalls_get_EPERM_in_a_default_container(string name)
    {
        var rules = RulesFor(Seccomp(Minimal()), name);
        var rule = Assert.Single(rules);
        Assert.Equal("SCMP_ACT_ERRNO", rule.GetProperty("action").GetString());
        Assert.Equal(1, rule.GetProperty("errnoRet").GetInt32());
    }

    [Fact]
    public void Personality_is_allowed_only_for_five_values()
    {
        var rules = RulesFor(Seccomp(Minimal()), "personality");
        Assert.Equal(5, rules.Length);
        var values = rules.Select(r =>
        {
            var arg = Assert.Single(r.GetProperty("args").EnumerateArray());
            Assert.Equal(0, arg.GetProperty("index").GetInt32());
            Assert.Equal("SCMP_CMP_EQ", arg.GetProperty("op").GetString());
            return arg.GetProperty("value").GetUInt64();
        });
        Assert.Equal([0x0UL, 0x8, 0x20000, 0x20008, 0xffffffff], values);
    }

    [Fact]
    public void Capability_rules_follow_the_final_capability_set()
    {
        // CAP_SYS_CHROOT is a default: chroot allowed, no EPERM rule.
        var byDefault = Seccomp(Minimal());
        Assert.Equal("SCMP_ACT_ALLOW", Assert.Single(RulesFor(byDefault, "chroot")).GetProperty("action").GetString());

        var dropped = Minimal();
        dropped.CapDrop = ["SYS_CHROOT"];
        Assert.Equal("SCMP_ACT_ERRNO", Assert.Single(RulesFor(Seccomp(dropped), "chroot")).GetProperty("action").GetString());

        var admin = Minimal();
        admin.CapAdd = ["sys_admin"];
        var adminProfile = Seccomp(admin);
        Assert.Equal("SCMP_ACT_ALLOW", Assert.Single(RulesFor(adminProfile, "bpf")).GetProperty("action").GetString());
        Assert.Equal("SCMP_ACT_ALLOW", Assert.Single(RulesFor(adminProfile, "sethostname")).GetProperty("action").GetString());
        // the module rules do not depend on CAP_SYS_ADMIN
        Assert.Equal("SCMP_ACT_ERRNO", Assert.Single(RulesFor(adminProfile, "init_module")).GetProperty("action").GetString());
    }

    [Fact]
    public void Audit_sockets_get_EINVAL_unless_CAP_AUDIT_WRITE()
    {
        var rules = RulesFor(Seccomp(Minimal()), "socket");
        Assert.Equal(3, rules.Length);
        var deny = rules.Single(r => r.GetProperty("action").GetString() == "SCMP_ACT_ERRNO");
        Assert.Equal(22, deny.GetProperty("errnoRet").GetInt32());
        Assert.Equal([(0u, 16UL), (2u, 9UL)], deny.GetProperty("args").EnumerateArray().Select(a => (a.GetProperty("index").GetUInt32(), a.GetProperty("value").GetUInt64())));

        var audit = Minimal();
        audit.CapAdd = ["AUDIT_WRITE"];
        var withCap = Assert.Single(RulesFor(Seccomp(audit), "socket"));
        Assert.Equal("SCMP_ACT_ALLOW", withCap.GetProperty("action").GetString());
        Assert.False(withCap.TryGetProperty("args", out _));
    }

    [Fact]
    public void Architecture_specific_rules_follow_the_host()
    {
        var amd64 = Seccomp(Minimal());
        Assert.Single(RulesFor(amd64, "arch_prctl"));
        Assert.Single(RulesFor(amd64, "modify_ldt"));
        Assert.Empty(RulesFor(amd64, "set_tls"));

        var arm = new HostFacts { NofileHard = 1024, NprocHard = 1024, Architecture = "arm64" };
        var arm64 = Seccomp(Minimal(), arm);
        Assert.Equal(["SCMP_ARCH_AARCH64"], Strings(arm64.GetProperty("architectures")));
        Assert.Single(RulesFor(arm64, "set_tls"));
        Assert.Empty(RulesFor(arm64, "arch_prctl"));
    }

    [Fact]
    public void Seccomp_sits_between_namespaces_and_masked_paths()
    {
        var keys = Build(Minimal()).GetProperty("linux").EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(keys.IndexOf("namespaces") < keys.IndexOf("seccomp"));
        Assert.True(keys.IndexOf("seccomp") < keys.IndexOf("maskedPaths"));
    }

    [Fact]
    public void Unconfined_has_no_seccomp_key()
    {
        var spec = Minimal();
        spec.SeccompUnconfined = true;
        Assert.False(Build(spec).GetProperty("linux").TryGetProperty("seccomp", out _));
    }

    // ---- seccomp: user profiles ----

    private const string PodmanFormatProfile = """
        {
          // comments are allowed, as in the files podman ships
          "defaultAction": "SCMP_ACT_ALLOW",
          "archMap": [
            { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
            { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] }
          ],
          "syscalls": [
            { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
            { "name": "chroot", "action": "SCMP_ACT_ERRNO", "excludes": { "caps": ["CAP_SYS_CHROOT"] } },
            { "names": ["reboot"], "action": "SCMP_ACT_ERRNO", "includes": { "arches": ["arm64"] } },
            { "names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [ { "index": 0, "value": 8, "op": "SCMP_CMP_EQ" } ] }
          ]
        }
        """;

    [Fact]
    public void A_podman_format_profile_is_resolved_for_the_container()
    {
        var profile = SeccompProfile.Parse(PodmanFormatProfile, OciSpecBuilder.DefaultCapabilities, "amd64");
        Assert.Equal("SCMP_ACT_ALLOW", profile.DefaultAction);
        Assert.Null(profile.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], profile.Architectures);
        // chroot is excluded (the defaults hold CAP_SYS_CHROOT), reboot is arm64-only.
        Assert.Equal([["mkdir", "mkdirat"], ["personality"]], profile.Syscalls.Select(r => r.Names));
        Assert.Equal(13u, profile.Syscalls[0].ErrnoRet);
        Assert.Equal(new SeccompArg(0, 8, 0, "SCMP_CMP_EQ"), Assert.Single(profile.Syscalls[1].Args));

        var spec = Minimal();
        spec.SeccompProfileJson = PodmanFormatProfile;
        spec.CapDrop = ["CAP_SYS_CHROOT"];
        var seccomp = Seccomp(spec);
        Assert.Equal("SCMP_ACT_ALLOW", seccomp.GetProperty("defaultAction").GetString());
        Assert.Single(RulesFor(seccomp, "chroot"));
    }

    [Fact]
    public void A_profile_also_applies_to_a_privileged_container()
    {
        var spec = Minimal();
        spec.Privileged = true;
        Assert.False(Build(spec).GetProperty("linux").TryGetProperty("seccomp", out _));
        spec.SeccompProfileJson = PodmanFormatProfile;
        Assert.True(Build(spec).GetProperty("linux").TryGetProperty("seccomp", out _));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"syscalls\": []}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"]}]}")]
    public void Broken_profiles_are_InvalidSeccompProfile(string json)
    {
        var e = Assert.Throws<PodShellException>(() => SeccompProfile.Parse(json, [], "amd64"));
        Assert.Equal("InvalidSeccompProfile", e.ErrorId);
    }

    // ---- capabilities ----

    [Fact]
    public void Default_set_is_podmans_mask()
    {
        Assert.Equal(0x800405fbUL, CapabilitySet.ToMask(OciSpecBuilder.DefaultCapabilities));
        Assert.Equal(OciSpecBuilder.DefaultCapabilities, CapabilitySet.Resolve(null, null, false, Host.BoundingCapabilities));
    }

    [Theory]
    [InlineData("net_raw", "CAP_NET_RAW")]
    [InlineData("CAP_NET_RAW", "CAP_NET_RAW")]
    [InlineData(" Sys_Admin ", "CAP_SYS_ADMIN")]
    [InlineData("all", "ALL")]
    public void Capability_names_are_normalized(string given, string expected) =>
        Assert.Equal(expected, CapabilitySet.Normalize(given));

    [Theory]
    [InlineData("NET_RAWW")]
    [InlineData("")]
    [InlineData("CAP_")]
    public void Unknown_capabilities_are_refused(string given) =>
        Assert.Equal("InvalidCapability", Assert.Throws<PodShellException>(() => CapabilitySet.Normalize(given)).ErrorId);

    [Fact]
    public void Add_and_drop_change_the_process_sets()
    {
        var spec = Minimal();
        spec.CapAdd = ["NET_RAW"];
        spec.CapDrop = ["chown"];
        var caps = Build(spec).GetProperty("process").GetProperty("capabilities");
        foreach (var set in new[] { "bounding", "effective", "permitted" })
        {
            var names = Strings(caps.GetProperty(set));
            Assert.Contains("CAP_NET_RAW", names);
            Assert.DoesNotContain("CAP_CHOWN", names);
            Assert.Equal(11, names.Length);
        }
        Assert.Empty(Strings(caps.GetProperty("ambient")));
    }

    [Fact]
    public void Drop_all_then_add_keeps_only_the_adds_and_add_all_then_drop_removes()
    {
        Assert.Equal(["CAP_KILL"], CapabilitySet.Resolve(["KILL"], ["ALL"], false, Host.BoundingCapabilities));
        var all = CapabilitySet.Resolve(["ALL"], ["SYS_ADMIN"], false, Host.BoundingCapabilities);
        Assert.Equal(CapabilitySet.All.Length - 1, all.Length);
        Assert.DoesNotContain("CAP_SYS_ADMIN", all);
    }

    [Fact]
    public void Adding_a_capability_the_host_lacks_is_refused()
    {
        var noSysResource = Host.BoundingCapabilities & ~(1UL << 24);
        var e = Assert.Throws<PodShellException>(() => CapabilitySet.Resolve(["SYS_RESOURCE"], null, false, noSysResource));
        Assert.Equal("CapabilityUnavailable", e.ErrorId);
    }

    [Fact]
    public void Non_root_gets_only_added_capabilities_as_effective()
    {
        var spec = Minimal();
        spec.Uid = 1000;
        spec.CapAdd = ["NET_BIND_SERVICE"];
        var caps = Build(spec).GetProperty("process").GetProperty("capabilities");
        Assert.Equal(["CAP_NET_BIND_SERVICE"], Strings(caps.GetProperty("effective")));
        Assert.Equal(11, Strings(caps.GetProperty("bounding")).Length);
    }

    // ---- privileged ----

    [Fact]
    public void Privileged_has_the_hosts_capabilities_and_no_confinement()
    {
        var host = new HostFacts { NofileHard = 1024, NprocHard = 1024, Architecture = "amd64", BoundingCapabilities = 0x1fffeffffffUL };
        var spec = Minimal();
        spec.Privileged = true;
        var root = Build(spec, host);
        var effective = Strings(root.GetProperty("process").GetProperty("capabilities").GetProperty("effective"));
        Assert.Equal(0x1fffeffffffUL, CapabilitySet.ToMask(effective));
        Assert.DoesNotContain("CAP_SYS_RESOURCE", effective);
        var linux = root.GetProperty("linux");
        Assert.False(linux.TryGetProperty("seccomp", out _));
        Assert.False(linux.TryGetProperty("maskedPaths", out _));
        Assert.False(linux.TryGetProperty("readonlyPaths", out _));
        var rule = Assert.Single(linux.GetProperty("resources").GetProperty("devices").EnumerateArray());
        Assert.True(rule.GetProperty("allow").GetBoolean());
        Assert.Equal("rwm", rule.GetProperty("access").GetString());
        var mounts = root.GetProperty("mounts").EnumerateArray().ToDictionary(m => m.GetProperty("destination").GetString()!, m => Strings(m.GetProperty("options")));
        Assert.Contains("rw", mounts["/sys"]);
        Assert.DoesNotContain("ro", mounts["/sys"]);
        Assert.Contains("rw", mounts["/sys/fs/cgroup"]);
    }

    [Fact]
    public void No_new_privileges_is_written_only_on_request()
    {
        Assert.False(Build(Minimal()).GetProperty("process").TryGetProperty("noNewPrivileges", out _));
        var spec = Minimal();
        spec.NoNewPrivileges = true;
        Assert.True(Build(spec).GetProperty("process").GetProperty("noNewPrivileges").GetBoolean());
    }

    // ---- ulimits ----

    [Theory]
    [InlineData("nofile=1024:2048", "nofile", 1024UL, 2048UL)]
    [InlineData("nproc=512", "nproc", 512UL, 512UL)]
    [InlineData("core=-1", "core", Ulimit.Unlimited, Ulimit.Unlimited)]
    [InlineData("RLIMIT_MEMLOCK=0:-1", "memlock", 0UL, Ulimit.Unlimited)]
    public void Ulimits_parse_like_podman(string text, string name, ulong soft, ulong hard) =>
        Assert.Equal(new Ulimit(name, soft, hard), Ulimit.Parse(text));

    [Theory]
    [InlineData("nofile")]
    [InlineData("files=10")]
    [InlineData("nofile=abc")]
    [InlineData("nofile=10:5")]
    [InlineData("nofile=1:2:3")]
    [InlineData("nofile=-5")]
    public void Bad_ulimits_are_InvalidUlimit(string text) =>
        Assert.Equal("InvalidUlimit", Assert.Throws<PodShellException>(() => Ulimit.Parse(text)).ErrorId);

    [Fact]
    public void Ulimit_above_the_host_hard_limit_is_refused_without_CAP_SYS_RESOURCE()
    {
        var spec = Minimal();
        spec.Ulimits.Add(Ulimit.Parse("nofile=1024:20001"));
        var e = Assert.Throws<PodShellException>(() => OciSpecBuilder.Build(spec, Host));
        Assert.Equal("UlimitAboveHostLimit", e.ErrorId);
        Assert.Contains("20000", e.Message);

        var withCap = new HostFacts { NofileHard = 20000, NprocHard = 5000, HasCapSysResource = true, HardLimits = Host.HardLimits };
        OciSpecBuilder.Build(spec, withCap);
        Ulimit.Parse("nofile=20000:20000").EnsureWithinHost(Host);
        Ulimit.Parse("core=-1").EnsureWithinHost(Host);
    }

    [Fact]
    public void A_ulimit_replaces_the_default_of_its_resource()
    {
        var spec = Minimal();
        spec.Ulimits.Add(Ulimit.Parse("nofile=100:200"));
        spec.Ulimits.Add(Ulimit.Parse("core=0"));
        var rlimits = Build(spec).GetProperty("process").GetProperty("rlimits").EnumerateArray()
            .ToDictionary(r => r.GetProperty("type").GetString()!, r => (r.GetProperty("soft").GetUInt64(), r.GetProperty("hard").GetUInt64()));
        Assert.Equal(3, rlimits.Count);
        Assert.Equal((100UL, 200UL), rlimits["RLIMIT_NOFILE"]);
        Assert.Equal((5000UL, 5000UL), rlimits["RLIMIT_NPROC"]);
        Assert.Equal((0UL, 0UL), rlimits["RLIMIT_CORE"]);
    }

    // ---- shm, devices, read-only root, tmpfs ----

    private static string[] MountOptions(JsonElement root, string destination) =>
        Strings(root.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == destination).GetProperty("options"));

    [Fact]
    public void ShmSize_sets_the_dev_shm_size()
    {
        Assert.Contains("size=65536k", MountOptions(Build(Minimal()), "/dev/shm"));
        var spec = Minimal();
        spec.ShmSize = 16 * 1024 * 1024;
        Assert.Contains("size=16777216", MountOptions(Build(spec), "/dev/shm"));
        spec.ShmSize = 0;
        Assert.Equal("InvalidShmSize", Assert.Throws<PodShellException>(() => Build(spec)).ErrorId);
    }

    [Fact]
    public void A_device_is_created_and_allowed()
    {
        var spec = Minimal();
        spec.Devices.Add(new SpecDevice("/dev/fuse", 'c', 10, 229, 438, 0, 0, "rw"));
        var linux = Build(spec).GetProperty("linux");
        var node = Assert.Single(linux.GetProperty("devices").EnumerateArray());
        Assert.Equal("/dev/fuse", node.GetProperty("path").GetString());
        Assert.Equal("c", node.GetProperty("type").GetString());
        Assert.Equal(10, node.GetProperty("major").GetInt32());
        Assert.Equal(229, node.GetProperty("minor").GetInt32());
        Assert.Equal(438, node.GetProperty("fileMode").GetInt32());
        var rules = linux.GetProperty("resources").GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, rules.Length);
        Assert.False(rules[0].GetProperty("allow").GetBoolean());
        Assert.True(rules[1].GetProperty("allow").GetBoolean());
        Assert.Equal("rw", rules[1].GetProperty("access").GetString());
        Assert.Equal(229, rules[1].GetProperty("minor").GetInt32());
    }

    [Fact]
    public void No_devices_key_without_devices()
    {
        Assert.False(Build(Minimal()).GetProperty("linux").TryGetProperty("devices", out _));
    }

    [Theory]
    [InlineData("/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm")]
    [InlineData("/dev/fuse:r", "/dev/fuse", "/dev/fuse", "r")]
    [InlineData("/dev/sda:/dev/xvda", "/dev/sda", "/dev/xvda", "rwm")]
    [InlineData("/dev/sda:/dev/xvda:rw", "/dev/sda", "/dev/xvda", "rw")]
    public void Device_requests_parse_like_podman(string text, string host, string container, string access) =>
        Assert.Equal(new DeviceRequest(host, container, access), DeviceRequest.Parse(text));

    [Theory]
    [InlineData("dev/fuse")]
    [InlineData("/dev/fuse:/mnt/fuse")]
    [InlineData("/dev/fuse:/dev/fuse:rwx")]
    [InlineData("/dev/fuse:/dev/fuse:rr")]
    [InlineData("/dev/a:/dev/b:rw:x")]
    public void Bad_device_requests_are_InvalidDevice(string text) =>
        Assert.Equal("InvalidDevice", Assert.Throws<PodShellException>(() => DeviceRequest.Parse(text)).ErrorId);

    [Fact]
    public void Read_only_root_gets_tmpfs_on_tmp_var_tmp_and_run_unless_the_user_mounts_there()
    {
        var spec = Minimal();
        spec.ReadOnlyRootfs = true;
        spec.Mounts.Add(TmpfsRequest.Parse("/run:size=1m"));
        var root = Build(spec);
        Assert.True(root.GetProperty("root").GetProperty("readonly").GetBoolean());
        var tmpfs = root.GetProperty("mounts").EnumerateArray().Where(m => m.GetProperty("type").GetString() == "tmpfs")
            .Select(m => m.GetProperty("destination").GetString()).ToList();
        Assert.Equal(1, tmpfs.Count(d => d == "/run"));
        Assert.Contains("/tmp", tmpfs);
        Assert.Contains("/var/tmp", tmpfs);
        Assert.Equal(["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"], MountOptions(root, "/tmp"));
        Assert.Contains("size=1m", MountOptions(root, "/run"));
    }

    [Fact]
    public void Writable_root_gets_no_extra_tmpfs()
    {
        var dests = Build(Minimal()).GetProperty("mounts").EnumerateArray().Select(m => m.GetProperty("destination").GetString()).ToList();
        Assert.DoesNotContain("/tmp", dests);
        Assert.DoesNotContain("/run", dests);
    }

    [Theory]
    [InlineData("/scratch", "/scratch", "rw,noexec,nosuid,nodev,tmpcopyup")]
    [InlineData("/scratch/:size=64m", "/scratch", "rw,noexec,nosuid,nodev,tmpcopyup,size=64m")]
    [InlineData("/x:ro,exec,mode=1777,notmpcopyup", "/x", "nosuid,nodev,ro,exec,mode=1777")]
    [InlineData("/x:size=10%", "/x", "rw,noexec,nosuid,nodev,tmpcopyup,size=10%")]
    public void Tmpfs_requests_get_podmans_defaults(string text, string destination, string options)
    {
        var m = TmpfsRequest.Parse(text);
        Assert.Equal(destination, m.Destination);
        Assert.Equal("tmpfs", m.Type);
        Assert.Equal(options.Split(','), m.Options);
    }

    [Theory]
    [InlineData("scratch")]
    [InlineData("/")]
    [InlineData("/a/../etc")]
    [InlineData("/x:size=lots")]
    public void Bad_tmpfs_requests_are_InvalidTmpfs(string text) =>
        Assert.Equal("InvalidTmpfs", Assert.Throws<PodShellException>(() => TmpfsRequest.Parse(text)).ErrorId);

    // ---- environment files ----

    [Fact]
    public void Environment_files_take_key_value_lines_and_skip_comments()
    {
        var text = "# comment\n\nA=1\r\n  B= spaced \nC=x=y\nHOME_FROM_CALLER\nMISSING\nEMPTY=\n";
        var values = EnvironmentFile.Parse(text, "t.env", k => k == "HOME_FROM_CALLER" ? "/home/me" : null);
        Assert.Equal(
            [new("A", "1"), new("B", " spaced "), new("C", "x=y"), new("HOME_FROM_CALLER", "/home/me"), new KeyValuePair<string, string>("EMPTY", "")],
            values);
    }

    [Fact]
    public void A_name_with_spaces_is_InvalidEnvironmentFile()
    {
        var e = Assert.Throws<PodShellException>(() => EnvironmentFile.Parse("A=1\nNOT VALID=2\n", "t.env", _ => null));
        Assert.Equal("InvalidEnvironmentFile", e.ErrorId);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Later_files_win_and_explicit_values_win_over_files()
    {
        var dir = Directory.CreateTempSubdirectory("podshell-envfile-");
        try
        {
            var a = Path.Combine(dir.FullName, "a.env");
            var b = Path.Combine(dir.FullName, "b.env");
            File.WriteAllText(a, "X=a\nY=a\nZ=a\n");
            File.WriteAllText(b, "Y=b\nZ=b\n");
            var merged = EnvironmentFile.Merge([a, b], new Dictionary<string, string> { ["Z"] = "param" }, _ => null);
            Assert.Equal("a", merged["X"]);
            Assert.Equal("b", merged["Y"]);
            Assert.Equal("param", merged["Z"]);
            var e = Assert.Throws<PodShellException>(() => EnvironmentFile.Merge([Path.Combine(dir.FullName, "none.env")], null, _ => null));
            Assert.Equal("EnvironmentFileNotFound", e.ErrorId);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // ---- host facts ----

    [Fact]
    public void Probe_reads_the_bounding_set_and_hard_limits_of_this_process()
    {
        var facts = HostFacts.Probe();
        var status = File.ReadAllLines("/proc/self/status");
        var capBnd = ulong.Parse(status.Single(l => l.StartsWith("CapBnd:")).Split('\t')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(capBnd, facts.BoundingCapabilities);
        var nofileLine = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files"));
        var hard = nofileLine[26..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal(hard == "unlimited" ? Ulimit.Unlimited : ulong.Parse(hard, CultureInfo.InvariantCulture), facts.HardLimits["nofile"]);
        Assert.Equal(16, facts.HardLimits.Count);
        Assert.False(string.IsNullOrEmpty(facts.Architecture));
    }
}
