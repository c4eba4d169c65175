namespace PodShell.Engine.Runtime.Spec;

/// <summary>Everything the user asked for, already resolved against the image config (podman's SpecGenerator).
/// A plain data object: <see cref="OciSpecBuilder"/> turns it into config.json without side effects.</summary>
public sealed class ContainerSpec
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Hostname { get; set; } = "";

    /// <summary>Final process args (entrypoint + cmd already merged).</summary>
    public string[] Args { get; set; } = [];

    /// <summary>Final "K=V" list (defaults + image + user, user wins).</summary>
    public string[] Env { get; set; } = [];

    public string Cwd { get; set; } = "/";
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint[] AdditionalGids { get; set; } = [];

    /// <summary>Bytes; null (or long.MaxValue, the engine's "no limit") = no limit.</summary>
    public long? MemoryMax { get; set; }

    /// <summary>CPUs, e.g. 0.5 => quota 50000 per period 100000; null = no limit.</summary>
    public double? Cpus { get; set; }

    /// <summary>null => podman's default 2048; 0, negative or long.MaxValue => unlimited.</summary>
    public long? PidsLimit { get; set; }

    /// <summary>Mounts the user asked for (volumes, bind mounts, tmpfs), added after the defaults.</summary>
    public List<SpecMount> Mounts { get; set; } = new();

    /// <summary>Absolute path of the mounted overlay.</summary>
    public string RootfsPath { get; set; } = "";

    public bool ReadOnlyRootfs { get; set; }

    /// <summary>e.g. "/podshell/&lt;id&gt;".</summary>
    public string CgroupsPath { get; set; } = "";

    /// <summary>Bind-mounted to /etc/hostname if set.</summary>
    public string? HostnameFile { get; set; }

    /// <summary>Bind-mounted to /etc/hosts if set.</summary>
    public string? HostsFile { get; set; }

    /// <summary>Bind-mounted to /etc/resolv.conf if set.</summary>
    public string? ResolvConfFile { get; set; }

    /// <summary>Bind-mounted to /run/.containerenv if set.</summary>
    public string? ContainerEnvFile { get; set; }

    /// <summary>If set, /dev/shm is bound from this directory; else a private tmpfs of 64 MiB.</summary>
    public string? ShmDir { get; set; }

    /// <summary>"none" (own empty netns), "host" (no network namespace entry) or "ns:&lt;path&gt;" (join that netns file).</summary>
    public string NetworkMode { get; set; } = "none";

    /// <summary>null = a new PID namespace; "host" = the host's (no entry); else the path of one to join.</summary>
    public string? PidNamespacePath { get; set; }
    /// <summary>As <see cref="PidNamespacePath"/>, for IPC.</summary>
    public string? IpcNamespacePath { get; set; }
    /// <summary>As <see cref="PidNamespacePath"/>, for UTS (a joined or host UTS namespace gets no hostname).</summary>
    public string? UtsNamespacePath { get; set; }

    public Dictionary<string, string> Annotations { get; set; } = new();

    // What the host mode decides (IHostMode.AdjustSpec): a runtime in a user namespace cannot mount the
    // pseudo-filesystems of namespaces it does not own (the host's network, IPC), and without a cgroup of its own a
    // container has no cgroup tree of its own to mount.

    /// <summary>Bind the host's /sys instead of mounting sysfs (the network namespace is not the runtime's).</summary>
    public bool SysfsFromHost { get; set; }

    /// <summary>Bind the host's /dev/mqueue instead of mounting mqueue (the IPC namespace is not the runtime's).</summary>
    public bool MqueueFromHost { get; set; }

    /// <summary>Mount the cgroup tree at /sys/fs/cgroup (false: the container has no cgroup of its own to show).</summary>
    public bool MountCgroupfs { get; set; } = true;

    public bool Terminal { get; set; }

    /// <summary>Capabilities to add to podman's default set (names with or without CAP_, or ALL).</summary>
    public string[] CapAdd { get; set; } = [];

    /// <summary>Capabilities to drop from the set (names with or without CAP_, or ALL).</summary>
    public string[] CapDrop { get; set; } = [];

    /// <summary>podman --privileged: every capability of the host's bounding set, no seccomp filter (unless a
    /// profile is given), no masked or read-only paths, all devices allowed, /sys and /sys/fs/cgroup writable.</summary>
    public bool Privileged { get; set; }

    /// <summary>process.noNewPrivileges (-SecurityOpt no-new-privileges).</summary>
    public bool NoNewPrivileges { get; set; }

    /// <summary>-SecurityOpt seccomp=unconfined: no linux.seccomp at all.</summary>
    public bool SeccompUnconfined { get; set; }

    /// <summary>The text of a seccomp profile in podman's JSON format (-SecurityOpt seccomp=&lt;file&gt;, read
    /// by the engine); null means podman's default profile.</summary>
    public string? SeccompProfileJson { get; set; }

    /// <summary>The default profile also covers the host's compat ABIs (i386 and x32 on amd64): -SecurityOpt
    /// seccomp=compat, or an image of the 32-bit architecture.</summary>
    public bool SeccompCompatAbis { get; set; }

    /// <summary>-Ulimit values; each replaces the default for its resource.</summary>
    public List<Ulimit> Ulimits { get; set; } = new();

    /// <summary>Size of the private /dev/shm tmpfs in bytes; null = podman's 64 MiB.</summary>
    public long? ShmSize { get; set; }

    /// <summary>Host devices created in the container (linux.devices) and allowed in the device cgroup.</summary>
    public List<SpecDevice> Devices { get; set; } = new();
}

/// <summary>A device node in the container: its path there, type ('c' or 'b'), numbers, mode and owner taken
/// from the host node, and the cgroup access ("rwm" or a subset).</summary>
public sealed record SpecDevice(string Path, char Type, long Major, long Minor, uint FileMode, uint Uid, uint Gid, string Access);

/// <summary>One OCI mount: destination inside the container, type ("bind", "tmpfs", ...), source and options.</summary>
public sealed record SpecMount(string Destination, string Type, string Source, params string[] Options);
