using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>The OCI bundle of a container: the /etc files it gets and config.json, composed from the
/// container record and the secure defaults.</summary>
public sealed partial class ContainerEngine
{
    private const string InitPath = "/run/podshell-init";
    /// <summary>Host /dev entries a privileged container does not get from the host: runc makes its own
    /// console, ptmx and the pseudo-filesystems mounted there (libcontainer devices.HostDevices skips them too).</summary>
    private static readonly HashSet<string> PrivilegedDeviceSkips = new(StringComparer.Ordinal)
    {
        "pts", "shm", "fd", "mqueue", "console", "ptmx", ".lxc", ".lxd-mounts", ".udev",
    };

    /// <summary>Resolves the security and process options of New-Container onto the record, before anything
    /// is created: every refusal (a bad capability, a ulimit above the host's hard limit, a missing device or
    /// profile) happens while there is nothing to undo.</summary>
    private static void ApplySecurityOptions(CreateOptions o, Container c, ContainerImage image)
    {
        if (o.EnvironmentFiles is { Length: > 0 } files)
        {
            var merged = EnvironmentFile.Merge(files, o.Environment, Environment.GetEnvironmentVariable);
            c.Environment = MergeEnvironment(image.Config.Env, merged);
        }

        var host = HostFacts.Probe();
        var ulimits = (o.Ulimits ?? []).Select(Ulimit.Parse).ToList();
        foreach (var u in ulimits) u.EnsureWithinHost(host);
        c.Ulimits = ulimits.Select(u => u.ToString()).ToArray();

        c.Privileged = o.Privileged;
        c.ReadOnly = o.ReadOnly;
        c.CapAdd = (o.CapAdd ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray();
        c.CapDrop = (o.CapDrop ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray();
        c.Capabilities = CapabilitySet.Resolve(c.CapAdd, c.CapDrop, c.Privileged, host.BoundingCapabilities);

        c.Seccomp = c.Privileged ? "unconfined" : SeccompProfile.NeedsCompatAbis(image.Architecture, host.Architecture) ? "compat" : "default";
        foreach (var opt in o.SecurityOpt ?? [])
        {
            var (key, value) = opt.IndexOf('=') is var eq and > 0 ? (opt[..eq], opt[(eq + 1)..]) : (opt, "");
            switch (key)
            {
                case "no-new-privileges" when value is "" or "true" or "false":
                    break;
                case "seccomp" when value == "unconfined":
                    c.Seccomp = "unconfined";
                    break;
                // PodShell's default filter lists the native ABI only (see SeccompProfile.Default);
                // this asks for podman's exact default, i386 and x32 syscalls included.
                case "seccomp" when value == "compat":
                    c.Seccomp = "compat";
                    break;
                case "seccomp" when value.StartsWith('/'):
                    c.Seccomp = value;
                    SeccompProfile.Parse(ReadSeccompProfile(value), c.Capabilities, host.Architecture);
                    break;
                // No SELinux or AppArmor support: these ask for what a container here already is.
                case "label" when value == "disable":
                case "apparmor" when value == "unconfined":
                    break;
                default:
                    throw new PodShellException("InvalidSecurityOpt", FailureKind.InvalidArgument,
                        $"-SecurityOpt '{opt}' is not supported. Use no-new-privileges, seccomp=unconfined, seccomp=compat or seccomp=<absolute path of a profile.json>.", opt);
            }
        }
        c.SecurityOpt = (o.SecurityOpt ?? []).ToArray();

        if (o.ShmSize is { } shm)
        {
            if (shm <= 0)
                throw new PodShellException("InvalidShmSize", FailureKind.InvalidArgument, $"-ShmSize must be a positive size such as 64m (got {shm}).", shm);
            c.ShmSize = shm;
        }

        var devices = (o.Devices ?? []).Select(DeviceRequest.Parse).ToList();
        foreach (var d in devices) HostDevice(d);
        c.Devices = devices.Select(d => d.ToString()).ToArray();

        c.Tmpfs = (o.Tmpfs ?? []).ToArray();
        foreach (var t in c.Tmpfs) TmpfsRequest.Parse(t);
    }

    private static string ReadSeccompProfile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException("SeccompProfileNotFound", FailureKind.NotFound,
                $"The seccomp profile '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    /// <summary>The host node behind a -Device, symlinks followed (/dev/disk/by-id/... are links).</summary>
    private static SpecDevice HostDevice(DeviceRequest d)
    {
        var real = FileStatus.RealPath(d.HostPath);
        var st = real is null ? null : FileStatus.TryLStat(real);
        if (st is null)
            throw new PodShellException("DeviceNotFound", FailureKind.NotFound, $"The device '{d.HostPath}' does not exist on this host.", d.HostPath);
        if (!st.Value.IsCharDevice && !st.Value.IsBlockDevice)
            throw new PodShellException("InvalidDevice", FailureKind.InvalidArgument, $"'{d.HostPath}' is not a character or block device.", d.HostPath);
        var s = st.Value;
        return new SpecDevice(d.ContainerPath, s.IsCharDevice ? 'c' : 'b', s.RdevMajor, s.RdevMinor, (uint)s.Permissions, (uint)s.Uid, (uint)s.Gid, d.Access);
    }

    /// <summary>podman --privileged gives the container the host's device nodes.</summary>
    private static IEnumerable<SpecDevice> PrivilegedDevices(string dir = "/dev")
    {
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var path in entries)
        {
            if (PrivilegedDeviceSkips.Contains(Path.GetFileName(path))) continue;
            if (FileStatus.TryLStat(path) is not { } s) continue;
            if (s.IsDirectory)
            {
                foreach (var d in PrivilegedDevices(path)) yield return d;
            }
            else if (s.IsCharDevice || s.IsBlockDevice)
            {
                yield return new SpecDevice(path, s.IsCharDevice ? 'c' : 'b', s.RdevMajor, s.RdevMinor, (uint)s.Permissions, (uint)s.Uid, (uint)s.Gid, "rwm");
            }
        }
    }

    /// <summary>null = a private namespace, "host" = none in the spec, else the path to join.</summary>
    private string? SpecNamespace(string mode, string type) =>
        mode == "host" ? "host" : mode.StartsWith("container:") ? SharedNamespacePath(mode, type) : null;

    private static bool SharesNamespaces(Container c) =>
        new[] { c.Network, c.PidMode, c.IpcMode, c.UtsMode }.Any(m => m.StartsWith("container:"));

    private void WriteBundle(Container c, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Spec);
        AtomicWrite(paths.HostnameFile, c.Hostname + "\n");
        AtomicWrite(paths.HostsFile, EtcFiles.Hosts(c.Hostname));
        AtomicWrite(paths.ResolvConfFile, EtcFiles.ResolvConf());
        AtomicWrite(paths.ContainerEnvFile, $"engine=\"podshell\"\nname=\"{c.Name}\"\nid=\"{c.Id}\"\nimage=\"{c.Image}\"\nimageid=\"{c.ImageId}\"\n");
        var user = UserResolver.Resolve(UserFilesView(c.Id), c.User);
        var spec = new ContainerSpec
        {
            Uid = user.Uid,
            Gid = user.Gid,
            AdditionalGids = user.AdditionalGids,
            Id = c.Id,
            Name = c.Name,
            Hostname = c.Hostname,
            Args = c.Command,
            Env = c.Environment.Append("HOSTNAME=" + c.Hostname).ToArray(),
            Cwd = c.WorkingDirectory,
            MemoryMax = c.MemoryMax == long.MaxValue ? null : c.MemoryMax,
            Cpus = double.IsPositiveInfinity(c.Cpus) ? null : c.Cpus,
            PidsLimit = c.PidsMax == long.MaxValue ? 0 : c.PidsMax,
            Rootless = c.Rootless,
            RootfsPath = MergedDir(c.Id),
            ReadOnlyRootfs = c.ReadOnly,
            CgroupsPath = CgroupsPathFor(c.Id),
            HostnameFile = paths.HostnameFile,
            HostsFile = paths.HostsFile,
            ResolvConfFile = paths.ResolvConfFile,
            ContainerEnvFile = paths.ContainerEnvFile,
            NetworkMode = SpecNetworkMode(c),
            PidNamespacePath = SpecNamespace(c.PidMode, "pid"),
            IpcNamespacePath = SpecNamespace(c.IpcMode, "ipc"),
            UtsNamespacePath = SpecNamespace(c.UtsMode, "uts"),
            Annotations = new Dictionary<string, string>
            {
                ["io.container.manager"] = "podshell",
                ["org.opencontainers.image.stopSignal"] = Signals.Parse(c.StopSignal).ToString(),
            },
            CapAdd = c.CapAdd,
            CapDrop = c.CapDrop,
            Privileged = c.Privileged,
            NoNewPrivileges = c.SecurityOpt.Any(o => o is "no-new-privileges" or "no-new-privileges=true"),
            SeccompUnconfined = c.Seccomp == "unconfined",
            SeccompProfileJson = c.Seccomp.StartsWith('/') ? ReadSeccompProfile(c.Seccomp) : null,
            SeccompCompatAbis = c.Seccomp == "compat",
            Ulimits = c.Ulimits.Select(Ulimit.Parse).ToList(),
            ShmSize = c.ShmSize,
        };
        if (c.Init && InitBinary() is { } init)
        {
            // As podman --init: catatonit is bind-mounted in and becomes PID 1, the command its child.
            spec.Args = new[] { InitPath, "--" }.Concat(c.Command).ToArray();
            spec.Mounts.Add(new SpecMount(InitPath, "bind", init, "bind", "ro", "rprivate", "nosuid", "nodev"));
        }
        spec.Mounts.AddRange(ResolveVolumeMounts(c.Id, c.Mounts, createMissing: true));
        spec.Devices.AddRange(c.Devices.Select(DeviceRequest.Parse).Select(HostDevice));
        if (c.Privileged)
        {
            spec.Devices.AddRange(PrivilegedDevices().Where(d => !spec.Devices.Any(x => x.Path == d.Path)));
        }
        spec.Mounts.AddRange(c.Tmpfs.Select(TmpfsRequest.Parse));
        AtomicWrite(paths.ConfigFile, OciSpecBuilder.Build(spec, HostFacts.Probe()));
    }
}
