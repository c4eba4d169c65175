using System.Management.Automation;

namespace PodShell;

/// <summary>What running containers use (podman stats): CPU, memory, pids, network and block I/O, read from
/// the kernel. One object per container per sample; -Stream samples every -Interval until Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerStats", DefaultParameterSetName = All)]
[OutputType(typeof(ContainerStats))]
public sealed class GetContainerStatsCommand : PodShellCmdlet
{
    private const string All = "All";
    private readonly List<string> _ids = new();

    /// <summary>Container names (wildcards allowed); all running containers when omitted.</summary>
    [Parameter(ParameterSetName = All, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Container[] InputObject { get; set; } = Array.Empty<Container>();

    /// <summary>Keep sampling until Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Stream { get; set; }

    /// <summary>Seconds between samples (CPU percent is measured over this span).</summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double Interval { get; set; } = 1;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "ByObject")
        {
            _ids.AddRange(InputObject.Select(c => c.Id));
            return;
        }
        if (Name is null)
        {
            Try(() => _ids.AddRange(Engine.GetContainers().Where(c => c.State == ContainerState.Running).Select(c => c.Id)));
            return;
        }
        _ids.AddRange(NameResolvers.RunningContainers(Engine).Resolve(Name, Try, Resolved).Select(c => c.Id));
    }

    protected override void EndProcessing()
    {
        var ids = _ids.Distinct().ToList();
        if (ids.Count == 0) return;
        var errors = new List<PodShell.Engine.PodShellException>();
        Try(() =>
        {
            foreach (var s in Engine.GetStats(ids, Stream, TimeSpan.FromSeconds(Interval), errors.Add, CancellationToken))
            {
                foreach (var e in errors) WriteError(ToErrorRecord(e));
                errors.Clear();
                WriteObject(s);
            }
            foreach (var e in errors) WriteError(ToErrorRecord(e));
        });
    }
}
