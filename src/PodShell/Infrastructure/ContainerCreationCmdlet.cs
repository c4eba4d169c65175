using System.Collections;
using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>The parameters that describe a new container, shared by New-Container and Invoke-Container
/// (podman create and podman run take the same options).</summary>
public abstract class ContainerCreationCmdlet : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ImageTransformation]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = "";

    [Parameter(Position = 1, ValueFromRemainingArguments = true)]
    public string[]? Command { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Hostname { get; set; }

    /// <summary>Bytes as a number (128MB) or a string ('128m', '128MiB', '1.5g').</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Memory { get; set; }

    [Parameter]
    public double Cpus { get; set; }

    [Parameter]
    public long PidsLimit { get; set; }

    [Parameter]
    [Alias("Env")]
    public Hashtable? Environment { get; set; }

    [Parameter]
    [Alias("Workdir")]
    public string? WorkingDirectory { get; set; }

    [Parameter]
    public string[]? Entrypoint { get; set; }

    [Parameter]
    public Hashtable? Label { get; set; }

    /// <summary>uid[:gid] or user[:group] from the image's /etc/passwd; the image's User by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>Signal Stop-Container sends first; the image's StopSignal, else SIGTERM, by default.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? StopSignal { get; set; }

    /// <summary>Remove the container as soon as it exits (podman --rm).</summary>
    [Parameter]
    [Alias("Rm")]
    public SwitchParameter AutoRemove { get; set; }

    /// <summary>Run catatonit as PID 1 to reap zombies and forward signals (podman --init).</summary>
    [Parameter]
    public SwitchParameter Init { get; set; }
    /// <summary>Bind mounts (/host/path:/ctr/path[:ro]) and named volumes (name:/ctr/path[:ro]), podman's -v syntax.</summary>
    [Parameter]
    [Alias("v")]
    [ValidateNotNullOrEmpty]
    public string[]? Volume { get; set; }
    /// <summary>Log size limit: bytes as a number (1MB) or a string ('1m'); at least 8KB; -1 for none.
    /// Default 10MB. One older file (ctr.log.1) is kept: twice this on disk in a first run, under three times in all.</summary>
    [Parameter]
    [Alias("LogSizeMax")]
    [ValidateNotNull]
    public object? LogMaxSize { get; set; }
    /// <summary>Files of KEY=VALUE lines ('#' comments); -Environment wins over them.</summary>
    [Parameter]
    [Alias("EnvFile")]
    [ValidateNotNullOrEmpty]
    public string[]? EnvironmentFile { get; set; }

    /// <summary>podman --ulimit: "nofile=1024:2048", "nproc=512"; -1 is unlimited.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Ulimit { get; set; }

    /// <summary>Capabilities added to the default set: NET_RAW, CAP_SYS_ADMIN, ALL.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CapabilityNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? CapAdd { get; set; }

    /// <summary>Capabilities removed from the set: CHOWN, CAP_SETUID, ALL.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(CapabilityNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? CapDrop { get; set; }

    /// <summary>All capabilities and devices, no seccomp filter, no masked paths, writable /sys.</summary>
    [Parameter]
    public SwitchParameter Privileged { get; set; }

    /// <summary>no-new-privileges, seccomp=unconfined, seccomp=compat (also the 32-bit ABIs), seccomp=&lt;profile.json&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SecurityOpt { get; set; }

    /// <summary>Size of /dev/shm: bytes (128MB) or a string ('64m').</summary>
    [Parameter]
    [ValidateNotNull]
    public object? ShmSize { get; set; }

    /// <summary>Host devices: /dev/xyz[:/dev/abc][:rwm].</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Device { get; set; }

    /// <summary>Read-only root filesystem; /tmp, /var/tmp and /run get a tmpfs.</summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>tmpfs mounts: &lt;destination&gt;[:options], e.g. /scratch:size=64m.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Tmpfs { get; set; }

    /// <summary>none, host, bridge (the default network), a network's name, or container:&lt;name&gt;.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Network { get; set; }

    /// <summary>[hostIp:]hostPort[-end]:containerPort[-end][/tcp|udp], as podman run -p.</summary>
    [Parameter]
    [Alias("p")]
    [ValidateNotNullOrEmpty]
    public string[]? Publish { get; set; }

    /// <summary>PID namespace: host or container:&lt;name&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Pid { get; set; }

    /// <summary>IPC namespace: host or container:&lt;name&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Ipc { get; set; }

    /// <summary>UTS namespace: host or container:&lt;name&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Uts { get; set; }

    /// <summary>The create request these parameters describe, or null after writing the error that
    /// made it impossible (a size that does not parse).</summary>
    protected CreateOptions? BuildOptions()
    {
        long? memory = null, logSizeMax = null, shmSize = null;
        try
        {
            // Sizes take PowerShell numbers (128MB) and podman's strings ('128m', '1.5g').
            if (Memory != null) memory = ParseSize(Memory);
            if (LogMaxSize != null) logSizeMax = WholeNumber(LogMaxSize) ?? ParseSize(LogMaxSize);
            if (ShmSize != null) shmSize = ParseSize(ShmSize);
        }
        catch (PodShellException e)
        {
            WriteError(ToErrorRecord(e));
            return null;
        }
        var options = new CreateOptions
        {
            Image = Image,
            Name = Name,
            Hostname = Hostname,
            Command = Command,
            Entrypoint = Entrypoint,
            Memory = memory,
            Cpus = MyInvocation.BoundParameters.ContainsKey(nameof(Cpus)) ? Cpus : null,
            PidsLimit = MyInvocation.BoundParameters.ContainsKey(nameof(PidsLimit)) ? PidsLimit : null,
            Environment = ToDictionary(Environment),
            WorkingDirectory = WorkingDirectory,
            Labels = ToDictionary(Label),
            User = User,
            StopSignal = StopSignal,
            AutoRemove = AutoRemove,
            Init = Init,
            Volumes = Volume?.Select(ResolveVolumeSource).ToArray(),
            LogSizeMax = logSizeMax,
            EnvironmentFiles = EnvironmentFile?.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToArray(),
            Ulimits = Ulimit,
            CapAdd = CapAdd,
            CapDrop = CapDrop,
            Privileged = Privileged.IsPresent,
            SecurityOpt = SecurityOpt?.Select(ResolveSeccompPath).ToArray(),
            ShmSize = shmSize,
            Devices = Device,
            ReadOnly = ReadOnly.IsPresent,
            Tmpfs = Tmpfs,
            Network = Network,
            Publish = Publish,
            Pid = Pid,
            Ipc = Ipc,
            Uts = Uts,
        };
        // Rootless without delegated cgroups: say so rather than record a limit nothing enforces.
        var (enforced, reason) = Engine.LimitsEnforcement;
        if (!enforced && (options.Memory != null || options.Cpus != null || options.PidsLimit != null))
            WriteWarning($"The container is created without the -Memory, -Cpus and -PidsLimit limits. {reason}.");
        return options;
    }

    /// <summary>A host path given relative to the PowerShell location (./data, ~/data), which is not the
    /// process's working directory, becomes absolute here.</summary>
    private string ResolveVolumeSource(string spec)
    {
        int colon = spec.IndexOf(':');
        var source = colon < 0 ? spec : spec[..colon];
        if (!(source.StartsWith('.') || source.StartsWith('~'))) return spec;
        return GetUnresolvedProviderPathFromPSPath(source) + (colon < 0 ? "" : spec[colon..]);
    }

    /// <summary>seccomp=&lt;relative path&gt; is resolved against the current PowerShell location.</summary>
    private string ResolveSeccompPath(string opt) =>
        opt.StartsWith("seccomp=", StringComparison.Ordinal) && opt is not ("seccomp=unconfined" or "seccomp=compat") && opt.Length > 8
            ? "seccomp=" + SessionState.Path.GetUnresolvedProviderPathFromPSPath(opt[8..])
            : opt;

    /// <summary>A whole number as given, even 0 or negative ("-1" too), for the engine to judge (-1 is
    /// podman's "no limit"); null for anything else, which is parsed as a size.</summary>
    private static long? WholeNumber(object value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        return raw switch
        {
            long l => l,
            int i => i,
            double d when d == Math.Floor(d) && Math.Abs(d) < long.MaxValue => (long)d,
            decimal m when m == Math.Floor(m) && Math.Abs(m) < long.MaxValue => (long)m,
            string s when long.TryParse(s.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= 0 => n,
            _ => null,
        };
    }

    private static long ParseSize(object value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        return raw switch
        {
            long l when l > 0 => l,
            int i when i > 0 => i,
            double d when d > 0 && d == Math.Floor(d) && d < long.MaxValue => (long)d,
            decimal m when m > 0 && m == Math.Floor(m) && m < long.MaxValue => (long)m,
            _ => ByteSize.Parse(Convert.ToString(raw, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
        };
    }

    private static Dictionary<string, string>? ToDictionary(Hashtable? h) =>
        h?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");
}
