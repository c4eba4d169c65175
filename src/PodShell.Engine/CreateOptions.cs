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
}
