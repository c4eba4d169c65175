using System.Collections;
using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>Creates a container from an image (podman create): writable layer, overlay mount, OCI
/// bundle with secure defaults. It is left in state Created; Start-Container runs it.</summary>
[Cmdlet(VerbsCommon.New, "Container", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Container))]
public sealed class NewContainerCommand : PodShellCmdlet
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
    /// <summary>Log size limit: bytes as a number (1MB) or a string ('1m'); at least 8KB.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? LogSizeMax { get; set; }

    protected override void ProcessRecord()
    {
        long? memory = null;
        if (Memory != null)
        {
            var raw = Memory is PSObject ps ? ps.BaseObject : Memory;
            try
            {
                memory = raw switch
                {
                    long l => l,
                    int i => i,
                    double d when d == Math.Floor(d) => (long)d,
                    decimal m when m == Math.Floor(m) => (long)m,
                    _ => ByteSize.Parse(Convert.ToString(raw, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                };
                if (memory <= 0) memory = ByteSize.Parse(memory.ToString()!);
            }
            catch (PodShellException e)
            {
                WriteError(ToErrorRecord(e));
                return;
            }
        }
        long? logSizeMax = null;
        if (LogSizeMax != null)
        {
            var raw = LogSizeMax is PSObject lps ? lps.BaseObject : LogSizeMax;
            try
            {
                logSizeMax = raw switch
                {
                    long l => l,
                    int i => i,
                    double d when d == Math.Floor(d) => (long)d,
                    decimal m when m == Math.Floor(m) => (long)m,
                    _ => ByteSize.Parse(Convert.ToString(raw, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                };
            }
            catch (PodShellException e)
            {
                WriteError(ToErrorRecord(e));
                return;
            }
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
        };
        if (!ShouldProcess(Name ?? Image, $"Create container from image '{Image}'")) return;
        Try(() => WriteObject(Engine.CreateContainer(options, CancellationToken)));
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

    private static Dictionary<string, string>? ToDictionary(Hashtable? h) =>
        h?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");
}
