namespace PodShell.Engine;

/// <summary>What New-Container asked for. Null means "take it from the image" (or the engine default).</summary>
public sealed class CreateOptions
{
    public string Image { get; set; } = "";
    public string? Name { get; set; }
    public string? Hostname { get; set; }
    public string[]? Command { get; set; }
    public string[]? Entrypoint { get; set; }
    public long? Memory { get; set; }
    public double? Cpus { get; set; }
    public long? PidsLimit { get; set; }
    public IDictionary<string, string>? Environment { get; set; }
    public string? WorkingDirectory { get; set; }
    public IDictionary<string, string>? Labels { get; set; }
    public string? User { get; set; }
    public string? StopSignal { get; set; }
    public bool AutoRemove { get; set; }
    public bool Init { get; set; }
    /// <summary>-Volume specs: /host/path:/ctr/path[:opts] (bind) or name:/ctr/path[:opts] (named volume).</summary>
    public string[]? Volumes { get; set; }
    /// <summary>Log size limit in bytes (at least 8192); null means no limit.</summary>
    public long? LogSizeMax { get; set; }

    /// <summary>Files of KEY=VALUE lines ('#' comments, blank lines skipped; a bare KEY takes the caller's
    /// value). Read in order; <see cref="Environment"/> wins over them.</summary>
    public string[]? EnvironmentFiles { get; set; }
    /// <summary>podman --ulimit: "nofile=1024:2048", "nproc=512", -1 for unlimited.</summary>
    public string[]? Ulimits { get; set; }
    public string[]? CapAdd { get; set; }
    public string[]? CapDrop { get; set; }
    public bool Privileged { get; set; }
    /// <summary>"no-new-privileges", "seccomp=unconfined", "seccomp=&lt;profile.json&gt;".</summary>
    public string[]? SecurityOpt { get; set; }
    /// <summary>Size of /dev/shm in bytes; null = 64 MiB.</summary>
    public long? ShmSize { get; set; }
    /// <summary>"/dev/host[:/dev/container][:rwm]".</summary>
    public string[]? Devices { get; set; }
    /// <summary>Read-only root filesystem, with tmpfs on /tmp, /var/tmp and /run.</summary>
    public bool ReadOnly { get; set; }
    /// <summary>"&lt;destination&gt;[:options]", e.g. "/scratch:size=64m".</summary>
    public string[]? Tmpfs { get; set; }

    /// <summary>"none", "host", "bridge" (default network), a network name, or "container:&lt;name&gt;".</summary>
    public string? Network { get; set; }
    /// <summary>"[hostIp:]hostPort[-end]:containerPort[-end][/tcp|udp]".</summary>
    public string[]? Publish { get; set; }
    /// <summary>"host" or "container:&lt;name&gt;"; null = a private namespace.</summary>
    public string? Pid { get; set; }
    public string? Ipc { get; set; }
    public string? Uts { get; set; }
}
