namespace PodShell;

/// <summary>A container as PowerShell sees it. Raw values: bytes as long, times as DateTime;
/// "no limit" is long.MaxValue (or +Infinity for Cpus), never null, so Where-Object comparisons hold. A view, not
/// what the store keeps: made from the container's ContainerConfig and ContainerRuntimeState by ContainerProjection,
/// so a property here can be renamed without changing the store's format (design.md, The store).</summary>
public sealed class Container
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public string ImageId { get; set; } = "";
    public ContainerState State { get; set; }
    /// <summary>Host pid of the container's init process while it runs, else 0.</summary>
    public int Pid { get; set; }
    /// <summary>Exit code (128+signal for a signal), null until the container has exited.</summary>
    public int? ExitCode { get; set; }
    public bool OomKilled { get; set; }
    public DateTime Created { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string[] Command { get; set; } = Array.Empty<string>();
    public string[] Entrypoint { get; set; } = Array.Empty<string>();
    public string Hostname { get; set; } = "";
    public string WorkingDirectory { get; set; } = "/";
    /// <summary>The user the process runs as, as given ("uid[:gid]" or a name); empty means root.</summary>
    public string User { get; set; } = "";
    /// <summary>Signal Stop-Container sends first (from -StopSignal or the image's StopSignal).</summary>
    public string StopSignal { get; set; } = "SIGTERM";
    public string[] Environment { get; set; } = Array.Empty<string>();
    /// <summary>Memory limit in bytes as configured; long.MaxValue when unlimited.</summary>
    public long MemoryMax { get; set; } = long.MaxValue;
    /// <summary>CPU limit in CPUs as configured; +Infinity when unlimited.</summary>
    public double Cpus { get; set; } = double.PositiveInfinity;
    /// <summary>Pids limit as configured; long.MaxValue when unlimited.</summary>
    public long PidsMax { get; set; } = long.MaxValue;
    public string Network { get; set; } = "none";
    public string[] Ports { get; set; } = Array.Empty<string>();
    public string[] Mounts { get; set; } = Array.Empty<string>();
    public Dictionary<string, string> Labels { get; set; } = new();
    /// <summary>The OCI runtime that runs it (runc or crun).</summary>
    public string Runtime { get; set; } = "";
    /// <summary>Directory holding config.json, ctr.log and the container's own files.</summary>
    public string BundlePath { get; set; } = "";
    public string LayerId { get; set; } = "";
    /// <summary>Size in bytes at which conmon starts the log file anew (--log-size-max); long.MaxValue when unlimited.</summary>
    public long LogSizeMax { get; set; } = long.MaxValue;

    /// <summary>Removed as soon as it exits (podman run --rm).</summary>
    public bool AutoRemove { get; set; }
    /// <summary>Runs a tiny init (catatonit) as PID 1 that reaps zombies and forwards signals.</summary>
    public bool Init { get; set; }
    /// <summary>Boot id of the kernel the container was started under; a different one means a reboot.</summary>
    public string BootId { get; set; } = "";
    /// <summary>Capabilities the container's processes can hold (its bounding set; root also gets them as
    /// effective): podman's 11 defaults with CapAdd and CapDrop applied, or the host's whole set if Privileged.</summary>
    public string[] Capabilities { get; set; } = Array.Empty<string>();
    /// <summary>-CapAdd as given, normalized to CAP_* names (or ALL).</summary>
    public string[] CapAdd { get; set; } = Array.Empty<string>();
    /// <summary>-CapDrop as given, normalized to CAP_* names (or ALL).</summary>
    public string[] CapDrop { get; set; } = Array.Empty<string>();
    /// <summary>All capabilities and devices, no seccomp filter, no masked paths, /sys writable.</summary>
    public bool Privileged { get; set; }
    /// <summary>Created by an ordinary user: its root is the user's own uid outside, in a user namespace
    /// whose other ids come from the user's /etc/subuid and /etc/subgid ranges.</summary>
    public bool Rootless { get; set; }
    /// <summary>Read-only root filesystem (with tmpfs on /tmp, /var/tmp and /run).</summary>
    public bool ReadOnly { get; set; }
    /// <summary>-SecurityOpt values, e.g. no-new-privileges, seccomp=unconfined, seccomp=/path/profile.json.</summary>
    public string[] SecurityOpt { get; set; } = Array.Empty<string>();
    /// <summary>"default", "unconfined", or the path of the profile the container was created with.</summary>
    public string Seccomp { get; set; } = "default";
    /// <summary>-Ulimit values as "name=soft:hard" (-1 = unlimited).</summary>
    public string[] Ulimits { get; set; } = Array.Empty<string>();
    /// <summary>Size of /dev/shm in bytes.</summary>
    public long ShmSize { get; set; } = 64L * 1024 * 1024;
    /// <summary>Devices as "host:container:access".</summary>
    public string[] Devices { get; set; } = Array.Empty<string>();
    /// <summary>tmpfs mounts as "destination[:options]".</summary>
    public string[] Tmpfs { get; set; } = Array.Empty<string>();

    /// <summary>Networks the container is attached to (empty for none, host and container:&lt;id&gt;).</summary>
    public string[] Networks { get; set; } = Array.Empty<string>();
    /// <summary>Its addresses on those networks while it runs, in the order of <see cref="Networks"/>.</summary>
    public string[] IPAddresses { get; set; } = Array.Empty<string>();
    /// <summary>The first of <see cref="IPAddresses"/>, or empty.</summary>
    public string IPAddress => IPAddresses.Length > 0 ? IPAddresses[0] : "";
    /// <summary>PID namespace: "private", "host" or "container:&lt;id&gt;".</summary>
    public string PidMode { get; set; } = "private";
    /// <summary>IPC namespace: "private", "host" or "container:&lt;id&gt;".</summary>
    public string IpcMode { get; set; } = "private";
    /// <summary>UTS namespace: "private", "host" or "container:&lt;id&gt;".</summary>
    public string UtsMode { get; set; } = "private";

    public override string ToString() => Name;
}
