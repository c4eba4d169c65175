using System.Text.Json;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>One argument condition of a seccomp rule, as linux.seccomp.syscalls[].args in the OCI spec.</summary>
public sealed record SeccompArg(uint Index, ulong Value, ulong ValueTwo, string Op);

/// <summary>One resolved OCI seccomp rule: capability and architecture conditions are already applied.</summary>
public sealed record SeccompRule(string[] Names, string Action, uint? ErrnoRet, SeccompArg[] Args);

/// <summary>The seccomp filter a container gets (OCI linux.seccomp). <see cref="Default"/> is the same policy
/// as containers/common's default profile, which podman uses: every syscall not listed fails with ENOSYS (so
/// a libc probing a syscall newer than the profile falls back, as it would on an old kernel); the dangerous
/// ones (kexec, modules, bpf, perf, clock setting, ioperm...) fail with EPERM unless the container holds the
/// capability that guards them. Profiles in podman's JSON format (includes/excludes, archMap) load with
/// <see cref="Parse"/> and are resolved the same way, against the container's final capability set.</summary>
public sealed class SeccompProfile
{
    public const string ActAllow = "SCMP_ACT_ALLOW";
    public const string ActErrno = "SCMP_ACT_ERRNO";
    private const uint EPERM = 1;
    private const uint EINVAL = 22;
    private const uint ENOSYS = 38;
    private const ulong AF_NETLINK = 16;
    private const ulong NETLINK_AUDIT = 9;

    public string DefaultAction { get; init; } = ActErrno;
    public uint? DefaultErrnoRet { get; init; }
    public IReadOnlyList<string> Architectures { get; init; } = [];
    public IReadOnlyList<SeccompRule> Syscalls { get; init; } = [];

    /// <summary>A rule before resolution: it applies only if the container has every capability in
    /// <c>IncludeCaps</c>, none in <c>ExcludeCaps</c>, and the host architecture matches.</summary>
    private sealed record Template(
        string[] Names, string Action, uint? ErrnoRet, SeccompArg[] Args,
        string[] IncludeCaps, string[] ExcludeCaps, string[] IncludeArches, string[] ExcludeArches);

    /// <summary>Native architecture and the compat ones a 64-bit kernel also runs (x86_64 runs i386 and x32
    /// binaries); a syscall made through a compat ABI must hit the same filter, not the default action.</summary>
    private static readonly Dictionary<string, string[]> ArchMap = new(StringComparer.Ordinal)
    {
        ["amd64"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        ["arm64"] = ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        ["s390x"] = ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
        ["mips64"] = ["SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"],
        ["mips64le"] = ["SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"],
    };

    /// <summary>Old, obsolete or host-wide syscalls that fail with EPERM whatever the capabilities.</summary>
    private const string DeniedEperm = """
        bdflush io_pgetevents kexec_file_load kexec_load membarrier migrate_pages move_pages nfsservctl nice
        oldfstat oldlstat oldolduname oldstat olduname pciconfig_iobase pciconfig_read pciconfig_write sgetmask
        ssetmask swapcontext swapoff swapon sysfs uselib userfaultfd ustat vm86 vm86old vmsplice
        """;

    /// <summary>What an ordinary process needs. mount, umount2, unshare and pivot_root are here because the
    /// kernel's own CAP_SYS_ADMIN checks already refuse them to a default container.</summary>
    private const string Allowed = """
        _llseek _newselect accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
        clock_nanosleep clock_nanosleep_time64 clone clone3 close close_range connect copy_file_range creat dup
        dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
        epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
        fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
        fdatasync fgetxattr flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat
        fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futimesat
        get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32
        getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
        getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt
        gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1
        inotify_rm_watch io_cancel io_destroy io_getevents io_setup io_submit ioctl ioprio_get ioprio_set ipc
        keyctl kill lchown lchown32 lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek
        lsetxattr lstat lstat64 madvise memfd_create mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall
        mmap mmap2 mount move_mount mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
        mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd
        msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat open openat openat2 open_tree
        pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pivot_root pkey_alloc pkey_free pkey_mprotect
        poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 pselect6 pselect6_time64 pwrite64 pwritev
        pwritev2 read readahead readdir readlink readlinkat readv reboot recv recvfrom recvmmsg recvmmsg_time64
        recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
        rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
        rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min
        sched_getaffinity sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval
        sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
        sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
        sendmmsg sendmsg sendto setns set_robust_list set_thread_area set_tid_address setfsgid setfsgid32
        setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
        setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt
        setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigreturn
        socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
        syncfs sysinfo syslog tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
        timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
        timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask umount umount2 uname
        unlink unlinkat unshare utime utimensat utimensat_time64 utimes vfork wait4 waitid waitpid write writev
        """;

    /// <summary>Syscalls allowed only with a capability, EPERM without it (the kernel would also refuse
    /// most of them, but the filter keeps their attack surface closed).</summary>
    private static readonly (string Capability, string Names)[] CapabilityGated =
    [
        ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
        ("CAP_SYS_ADMIN", "bpf fanotify_init lookup_dcookie perf_event_open quotactl setdomainname sethostname setns"),
        ("CAP_SYS_CHROOT", "chroot"),
        ("CAP_SYS_MODULE", "delete_module init_module finit_module query_module"),
        ("CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy"),
        ("CAP_SYS_PACCT", "acct"),
        ("CAP_SYS_PTRACE", "kcmp process_madvise process_vm_readv process_vm_writev ptrace"),
        ("CAP_SYS_RAWIO", "iopl ioperm"),
        ("CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
        ("CAP_SYS_TTY_CONFIG", "vhangup"),
    ];

    /// <summary>Syscalls that exist only on some architectures (Go names, as runtime.GOARCH).</summary>
    private static readonly (string[] Arches, string Names)[] ArchOnly =
    [
        (["ppc64le"], "sync_file_range2"),
        (["arm", "arm64"], "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls"),
        (["amd64", "x32"], "arch_prctl"),
        (["amd64", "x32", "x86"], "modify_ldt"),
        (["s390", "s390x"], "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"),
    ];

    /// <summary>personality(2) only with the values a normal program uses: PER_LINUX, PER_LINUX32,
    /// UNAME26 variants and the 0xffffffff query. Others (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken
    /// exploit mitigations.</summary>
    private static readonly ulong[] PersonalityValues = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

    private static readonly Lazy<Template[]> DefaultTemplates = new(BuildDefaultTemplates);

    private static string[] Words(string text) =>
        text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static Template Rule(string names, string action, uint? errno = null, SeccompArg[]? args = null,
        string[]? includeCaps = null, string[]? excludeCaps = null, string[]? includeArches = null) =>
        new(Words(names), action, errno, args ?? [], includeCaps ?? [], excludeCaps ?? [], includeArches ?? [], []);

    private static Template[] BuildDefaultTemplates()
    {
        var rules = new List<Template>
        {
            Rule(DeniedEperm, ActErrno, EPERM),
            Rule(Allowed, ActAllow),
        };
        foreach (var value in PersonalityValues)
        {
            rules.Add(Rule("personality", ActAllow, args: [new SeccompArg(0, value, 0, "SCMP_CMP_EQ")]));
        }
        foreach (var (arches, names) in ArchOnly)
        {
            rules.Add(Rule(names, ActAllow, includeArches: arches));
        }
        foreach (var (cap, names) in CapabilityGated)
        {
            rules.Add(Rule(names, ActAllow, includeCaps: [cap]));
            rules.Add(Rule(names, ActErrno, EPERM, excludeCaps: [cap]));
        }
        // Audit sockets need CAP_AUDIT_WRITE (not in the defaults): socket(AF_NETLINK, *, NETLINK_AUDIT)
        // fails with EINVAL, as on a kernel without audit, so tools fall back instead of erroring. Every
        // other socket is allowed by one of the NE rules (a rule's args are ANDed, rules are ORed).
        string[] audit = ["CAP_AUDIT_WRITE"];
        rules.Add(Rule("socket", ActErrno, EINVAL,
            [new SeccompArg(0, AF_NETLINK, 0, "SCMP_CMP_EQ"), new SeccompArg(2, NETLINK_AUDIT, 0, "SCMP_CMP_EQ")], excludeCaps: audit));
        rules.Add(Rule("socket", ActAllow, args: [new SeccompArg(2, NETLINK_AUDIT, 0, "SCMP_CMP_NE")], excludeCaps: audit));
        rules.Add(Rule("socket", ActAllow, args: [new SeccompArg(0, AF_NETLINK, 0, "SCMP_CMP_NE")], excludeCaps: audit));
        rules.Add(Rule("socket", ActAllow, includeCaps: audit));
        return rules.ToArray();
    }

    /// <summary>podman's default profile resolved for a container holding <paramref name="capabilities"/>
    /// on a host of Go architecture <paramref name="goArch"/>. The filter lists the native ABI only unless
    /// <paramref name="compatAbis"/> is set: runc compiles the whole rule set once per listed architecture
    /// (libseccomp), about 12 ms each here, a third of a container start for the two compat ABIs of amd64.
    /// A syscall through an ABI the filter does not list meets the kernel's bad-architecture action and the
    /// process dies with SIGSYS, so leaving them out closes those ABIs rather than opening them; 32-bit
    /// programs need <c>-SecurityOpt seccomp=compat</c> (and get it by default from a 32-bit image).</summary>
    public static SeccompProfile Default(IEnumerable<string> capabilities, string goArch, bool compatAbis = false) => new()
    {
        DefaultAction = ActErrno,
        DefaultErrnoRet = ENOSYS,
        Architectures = ArchMap.TryGetValue(goArch, out var arches) ? (compatAbis ? arches : arches[..1]) : [],
        Syscalls = Resolve(DefaultTemplates.Value, capabilities, goArch),
    };

    /// <summary>Whether an image built for <paramref name="imageArch"/> runs through a compat ABI of a host
    /// of <paramref name="hostArch"/> (a 386 image on amd64, an arm one on arm64), so its default filter
    /// must list the compat architectures.</summary>
    public static bool NeedsCompatAbis(string imageArch, string hostArch) =>
        imageArch != hostArch && ArchMap.TryGetValue(hostArch, out var arches) && arches.Length > 1
        && (imageArch, hostArch) is ("386", "amd64") or ("arm", "arm64") or ("s390", "s390x") or ("mips", "mips64") or ("mipsle", "mips64le");

    private static SeccompRule[] Resolve(IEnumerable<Template> templates, IEnumerable<string> capabilities, string goArch)
    {
        var caps = new HashSet<string>(capabilities, StringComparer.Ordinal);
        return templates
            .Where(t => !t.ExcludeArches.Contains(goArch)
                        && !t.ExcludeCaps.Any(caps.Contains)
                        && (t.IncludeArches.Length == 0 || t.IncludeArches.Contains(goArch))
                        && t.IncludeCaps.All(caps.Contains))
            .Select(t => new SeccompRule(t.Names, t.Action, t.ErrnoRet, t.Args))
            .ToArray();
    }

    /// <summary>Reads a profile in podman's (Docker's) JSON format: defaultAction, defaultErrnoRet,
    /// architectures or archMap, syscalls with names (or name), action, errnoRet, args and includes/excludes
    /// (caps, arches; minKernel is not checked). A plain OCI linux.seccomp object is a subset of it.</summary>
    public static SeccompProfile Parse(string json, IEnumerable<string> capabilities, string goArch)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the document is not a JSON object");
            var defaultAction = String(root, "defaultAction") ?? throw new FormatException("defaultAction is missing");
            var architectures = Strings(root, "architectures").ToList();
            if (root.TryGetProperty("archMap", out var archMap) && archMap.ValueKind == JsonValueKind.Array
                && ArchMap.TryGetValue(goArch, out var native))
            {
                foreach (var entry in archMap.EnumerateArray())
                {
                    if (String(entry, "architecture") != native[0]) continue;
                    architectures.Add(native[0]);
                    architectures.AddRange(Strings(entry, "subArchitectures"));
                }
            }
            var templates = new List<Template>();
            if (root.TryGetProperty("syscalls", out var syscalls) && syscalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in syscalls.EnumerateArray())
                {
                    var names = Strings(s, "names").ToList();
                    if (String(s, "name") is { } single) names.Add(single);
                    if (names.Count == 0) throw new FormatException("a syscalls entry has no names");
                    var args = new List<SeccompArg>();
                    if (s.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var arg in a.EnumerateArray())
                        {
                            args.Add(new SeccompArg(
                                arg.TryGetProperty("index", out var i) ? i.GetUInt32() : 0,
                                arg.TryGetProperty("value", out var v) ? v.GetUInt64() : 0,
                                arg.TryGetProperty("valueTwo", out var v2) ? v2.GetUInt64() : 0,
                                String(arg, "op") ?? throw new FormatException("an argument condition has no op")));
                        }
                    }
                    s.TryGetProperty("includes", out var inc);
                    s.TryGetProperty("excludes", out var exc);
                    templates.Add(new Template(names.ToArray(),
                        String(s, "action") ?? throw new FormatException($"the rule for {names[0]} has no action"),
                        s.TryGetProperty("errnoRet", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetUInt32() : null,
                        args.ToArray(),
                        Strings(inc, "caps").ToArray(), Strings(exc, "caps").ToArray(),
                        Strings(inc, "arches").ToArray(), Strings(exc, "arches").ToArray()));
                }
            }
            return new SeccompProfile
            {
                DefaultAction = defaultAction,
                DefaultErrnoRet = root.TryGetProperty("defaultErrnoRet", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetUInt32() : null,
                Architectures = architectures.Distinct().ToArray(),
                Syscalls = Resolve(templates, capabilities, goArch),
            };
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new PodShellException(ErrorIds.InvalidSeccompProfile, FailureKind.InvalidArgument,
                $"The seccomp profile is not valid: {ex.Message}", null, ex);
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<string> Strings(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetString() ?? throw new FormatException($"{name} has a non-string entry"))
            : [];

    /// <summary>Writes the OCI linux.seccomp object.</summary>
    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("seccomp");
        w.WriteString("defaultAction", DefaultAction);
        if (DefaultErrnoRet is { } errno) w.WriteNumber("defaultErrnoRet", errno);
        w.WriteStartArray("architectures");
        foreach (var a in Architectures) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteStartArray("syscalls");
        foreach (var rule in Syscalls)
        {
            w.WriteStartObject();
            w.WriteStartArray("names");
            foreach (var n in rule.Names) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteString("action", rule.Action);
            if (rule.ErrnoRet is { } ret) w.WriteNumber("errnoRet", ret);
            if (rule.Args.Length > 0)
            {
                w.WriteStartArray("args");
                foreach (var arg in rule.Args)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", arg.Index);
                    w.WriteNumber("value", arg.Value);
                    w.WriteNumber("valueTwo", arg.ValueTwo);
                    w.WriteString("op", arg.Op);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
