using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>ContainerSpec -> OCI runtime config.json with podman's secure defaults (podman
/// pkg/specgen/generate SpecGenToOCI on top of runtime-tools generate.New("linux")). Pure: no I/O, so the
/// same inputs always give the same text.</summary>
/// <remarks>
/// Property order follows the Go structs of opencontainers/runtime-spec (what podman writes), so a diff
/// against a podman config.json lines up. The seccomp filter is <see cref="SeccompProfile.Default"/>, resolved
/// against the container's final capability set, as podman does before writing the spec.
/// </remarks>
public static class OciSpecBuilder
{
    /// <summary>The spec version runc 1.1.5 reports (runc features / spec "ociVersion").</summary>
    public const string OciVersion = "1.0.2-dev";

    /// <summary>containers/common pkg/config/default.go DefaultCapabilities, in podman's order. Unlike Docker,
    /// NET_RAW, MKNOD and AUDIT_WRITE are not included. CapEff of a root process with these is 0x800405fb.</summary>
    public static readonly string[] DefaultCapabilities =
    [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_SETFCAP",
        "CAP_SETGID",
        "CAP_SETPCAP",
        "CAP_SETUID",
        "CAP_SYS_CHROOT",
    ];

    /// <summary>Paths runc hides (bind of /dev/null over files, empty read-only tmpfs over directories).
    /// podman 4.3.1's list plus what current containers/common getMaskedPaths() adds (powercap exposes
    /// energy counters usable as a side channel, "Platypus" CVE-2020-8694; /proc/interrupts leaks host
    /// activity). The /sys/devices/system/cpu/cpu*/thermal_throttle glob is left out: containers/common
    /// expands it against the host's sysfs, which is I/O this pure builder does not do.</summary>
    public static readonly string[] MaskedPaths =
    [
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/fs/selinux",
        "/sys/dev/block",
        "/sys/devices/virtual/powercap",
        "/proc/interrupts",
    ];

    /// <summary>containers/common DefaultReadOnlyPaths: remounted read-only inside the container.</summary>
    public static readonly string[] ReadonlyPaths =
    [
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
    ];

    /// <summary>libpod/define RLimitDefaultValue, applied to RLIMIT_NOFILE and RLIMIT_NPROC.</summary>
    internal const ulong RlimitDefault = 1048576;

    /// <summary>The CFS period podman uses for --cpus (util.CoresToPeriodAndQuota).</summary>
    internal const long CpuPeriod = 100_000;

    /// <summary>Docker's "Range of CPUs is from 0.01": below that the quota is under the kernel's 1 ms minimum.</summary>
    internal const double MinCpus = 0.01;

        /// <summary>podman --read-only (with the default --read-only-tmpfs): writable scratch space on a read-only root.</summary>
    public static readonly string[] ReadOnlyTmpfsPaths = ["/tmp", "/var/tmp", "/run"];

    /// <summary>The capabilities the container's process gets in its bounding set (and, for root, in its
    /// effective and permitted sets): defaults, -CapAdd, -CapDrop, or the host's whole set when privileged.</summary>
    public static string[] Capabilities(ContainerSpec spec, HostFacts host) =>
        CapabilitySet.Resolve(spec.CapAdd, spec.CapDrop, spec.Privileged, host.BoundingCapabilities);

    public static string Build(ContainerSpec spec, HostFacts host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var network = Validate(spec, host);
        var capabilities = Capabilities(spec, host);

        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", OciVersion);
            WriteProcess(w, spec, host, capabilities);
            w.WriteStartObject("root");
            w.WriteString("path", spec.RootfsPath);
            w.WriteBoolean("readonly", spec.ReadOnlyRootfs);
            w.WriteEndObject();
            // runc refuses a hostname without a private UTS namespace.
            if (spec.Hostname.Length > 0 && spec.UtsNamespacePath is null)
            {
                w.WriteString("hostname", spec.Hostname);
            }
            SpecMountsWriter.Write(w, spec);
            if (spec.Annotations.Count > 0)
            {
                w.WriteStartObject("annotations");
                // Go marshals maps with sorted keys; do the same so equal specs give equal text.
                foreach (var (key, value) in spec.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            SpecLinuxWriter.Write(w, spec, host, network, capabilities);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static SpecNetwork Validate(ContainerSpec spec, HostFacts host)
    {
        if (spec.Args is null || spec.Args.Length == 0 || string.IsNullOrEmpty(spec.Args[0]))
        {
            throw Invalid(ErrorIds.InvalidContainerSpec, $"Container '{Describe(spec)}' has no command to run (process args are empty).", spec);
        }
        if (!Path.IsPathRooted(spec.RootfsPath))
        {
            throw Invalid(ErrorIds.InvalidContainerSpec, $"Container '{Describe(spec)}' root file system path '{spec.RootfsPath}' must be absolute.", spec);
        }
        if (!spec.Cwd.StartsWith('/'))
        {
            // The OCI spec requires an absolute cwd; runc rejects a relative one only at create time.
            throw Invalid(ErrorIds.InvalidContainerSpec, $"Container '{Describe(spec)}' working directory '{spec.Cwd}' must be absolute.", spec);
        }
        foreach (var (what, file) in new[]
                 {
                     ("hostname file", spec.HostnameFile), ("hosts file", spec.HostsFile),
                     ("resolv.conf file", spec.ResolvConfFile), (".containerenv file", spec.ContainerEnvFile),
                     ("shm directory", spec.ShmDir),
                 })
        {
            if (file is not null && !Path.IsPathRooted(file))
            {
                throw Invalid(ErrorIds.InvalidContainerSpec, $"Container '{Describe(spec)}' {what} '{file}' must be an absolute path.", spec);
            }
        }
        // The same check (and ErrorId) New-Container makes: one minimum, in ContainerResources.
        if (spec.MemoryMax is { } memory && memory != long.MaxValue)
        {
            Configuration.ContainerResources.CheckMemory(memory);
        }
        if (spec.Cpus is { } cpus && (!double.IsFinite(cpus) || cpus < MinCpus || cpus * CpuPeriod >= long.MaxValue))
        {
            throw Invalid(ErrorIds.InvalidCpus, $"CPU limit {cpus.ToString(CultureInfo.InvariantCulture)} for container '{Describe(spec)}' is out of range; it must be at least {MinCpus.ToString(CultureInfo.InvariantCulture)}.", spec.Cpus);
        }

        foreach (var ulimit in spec.Ulimits)
        {
            ulimit.EnsureWithinHost(host);
        }
        if (spec.ShmSize is <= 0)
        {
            throw Invalid(ErrorIds.InvalidShmSize, $"Shared memory size {spec.ShmSize} for container '{Describe(spec)}' must be positive.", spec.ShmSize);
        }
        foreach (var device in spec.Devices)
        {
            if (!device.Path.StartsWith("/dev/", StringComparison.Ordinal) || device.Type is not ('c' or 'b')
                || device.Access.Length == 0 || device.Access.Any(ch => ch is not ('r' or 'w' or 'm')))
            {
                throw Invalid(ErrorIds.InvalidDevice, $"Device '{device.Path}' for container '{Describe(spec)}' is not valid: it must be a character or block device under /dev with access from 'rwm'.", device.Path);
            }
        }

        var mode = spec.NetworkMode ?? "";
        if (mode == "none") return new SpecNetwork(NetworkKind.None, null);
        if (mode == "host") return new SpecNetwork(NetworkKind.Host, null);
        if (mode.StartsWith("ns:", StringComparison.Ordinal) && mode.Length > 3 && mode[3] == '/')
        {
            return new SpecNetwork(NetworkKind.Path, mode[3..]);
        }
        throw Invalid(ErrorIds.InvalidNetworkMode,
            $"Network mode '{mode}' for container '{Describe(spec)}' is not valid. Use 'none', 'host' or 'ns:<absolute path of a network namespace file>'.", mode);
    }

    private static string Describe(ContainerSpec spec) => spec.Name.Length > 0 ? spec.Name : spec.Id;

    private static PodShellException Invalid(string id, string message, object? target) =>
        new(id, FailureKind.InvalidArgument, message, target);

    private static void WriteProcess(Utf8JsonWriter w, ContainerSpec spec, HostFacts host, string[] capabilities)
    {
        w.WriteStartObject("process");
        w.WriteBoolean("terminal", spec.Terminal);
        w.WriteStartObject("user");
        w.WriteNumber("uid", spec.Uid);
        w.WriteNumber("gid", spec.Gid);
        w.WriteNumber("umask", 18); // 0022
        if (spec.AdditionalGids.Length > 0)
        {
            w.WriteStartArray("additionalGids");
            foreach (var gid in spec.AdditionalGids) w.WriteNumberValue(gid);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        SpecJson.WriteStrings(w, "args", spec.Args);
        SpecJson.WriteStrings(w, "env", spec.Env);
        w.WriteString("cwd", spec.Cwd);

        // podman security.go: a non-root user starts with no effective or permitted capabilities (only
        // --cap-add ones); the bounding set still caps what setuid binaries can gain.
        var granted = spec.Uid == 0 ? capabilities : NonRootCapabilities(spec, capabilities);
        w.WriteStartObject("capabilities");
        SpecJson.WriteStrings(w, "bounding", capabilities);
        SpecJson.WriteStrings(w, "effective", granted);
        SpecJson.WriteStrings(w, "inheritable", []);
        SpecJson.WriteStrings(w, "permitted", granted);
        SpecJson.WriteStrings(w, "ambient", []);
        w.WriteEndObject();

        // podman main (container_internal_common.go, hasCapSysResource): without CAP_SYS_RESOURCE the
        // runtime cannot raise a hard limit, and podman 4.3.1's unclamped 1048576 fails with "error setting
        // rlimit type 7". Raising the soft limit up to the hard one needs no privilege, so both get the hard.
        // A -Ulimit replaces the default of its resource.
        w.WriteStartArray("rlimits");
        if (!spec.Ulimits.Any(u => u.Name == "nofile"))
        {
            WriteRlimit(w, "RLIMIT_NOFILE", host.HasCapSysResource ? RlimitDefault : Math.Min(RlimitDefault, host.NofileHard));
        }
        if (!spec.Ulimits.Any(u => u.Name == "nproc"))
        {
            WriteRlimit(w, "RLIMIT_NPROC", host.HasCapSysResource ? RlimitDefault : Math.Min(RlimitDefault, host.NprocHard));
        }
        foreach (var u in spec.Ulimits.GroupBy(u => u.Name).Select(g => g.Last()))
        {
            WriteRlimit(w, u.Type, u.Hard, u.Soft);
        }
        w.WriteEndArray();
        // No oomScoreAdj, and noNewPrivileges only on request: podman leaves both unset by default.
        if (spec.NoNewPrivileges)
        {
            w.WriteBoolean("noNewPrivileges", true);
        }
        w.WriteEndObject();
    }

    private static string[] NonRootCapabilities(ContainerSpec spec, string[] capabilities)
    {
        var added = spec.CapAdd.Select(CapabilitySet.Normalize).ToList();
        if (spec.Privileged || added.Contains("ALL")) return capabilities;
        return capabilities.Where(added.Contains).ToArray();
    }

    private static void WriteRlimit(Utf8JsonWriter w, string type, ulong value) => WriteRlimit(w, type, value, value);

    private static void WriteRlimit(Utf8JsonWriter w, string type, ulong hard, ulong soft)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteNumber("hard", hard);
        w.WriteNumber("soft", soft);
        w.WriteEndObject();
    }



    /// <summary>The filter the container gets, or null for none (unconfined, or privileged without a profile).</summary>
    public static SeccompProfile? Seccomp(ContainerSpec spec, HostFacts host, string[] capabilities)
    {
        if (spec.SeccompUnconfined) return null;
        if (spec.SeccompProfileJson is { } json) return SeccompProfile.Parse(json, capabilities, host.Architecture);
        return spec.Privileged ? null : SeccompProfile.Default(capabilities, host.Architecture, spec.SeccompCompatAbis);
    }
}
