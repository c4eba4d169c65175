using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Images.Registry;

namespace PodShell;

/// <summary>Pulls images from an OCI registry (podman pull).</summary>
[Cmdlet(VerbsLifecycle.Request, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[Alias("Pull-ContainerImage")]
[OutputType(typeof(ContainerImage))]
public sealed class RequestContainerImageCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>os/arch[/variant] to pick from a multi-platform image.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Platform { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SwitchParameter AllowInsecure { get; set; }

    protected override void ProcessRecord()
    {
        var options = new PullOptions
        {
            Platform = Platform,
            Credentials = Credential is null ? null : new RegistryCredentials(Credential.UserName, Credential.GetNetworkCredential().Password),
            AllowInsecure = AllowInsecure,
        };
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Pull image")) continue;
            var progress = new TransferProgressWriter(this, $"Pulling {name}");
            try
            {
                Try(() => WriteObject(Engine.PullImage(name, options, progress, CancellationToken)));
            }
            finally
            {
                progress.Complete();
            }
        }
    }
}

/// <summary>Turns engine transfer reports into Write-Progress: one parent bar for the image and one child
/// bar per blob. The engine reports on the pipeline thread (it runs there), which is the only thread
/// PowerShell lets call WriteProgress; reports from any other thread are dropped.</summary>
internal sealed class TransferProgressWriter : IProgress<TransferProgress>
{
    private const int ParentId = 1;
    private readonly Cmdlet _cmdlet;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private readonly ProgressRecord _parent;
    private readonly Dictionary<int, ProgressRecord> _children = new();
    private DateTime _last = DateTime.MinValue;

    public TransferProgressWriter(Cmdlet cmdlet, string activity)
    {
        _cmdlet = cmdlet;
        _parent = new ProgressRecord(ParentId, activity, "Starting");
    }

    public void Report(TransferProgress p)
    {
        if (Environment.CurrentManagedThreadId != _thread) return;
        bool milestone = p.Phase != TransferPhase.Transferring || p.Bytes == 0;
        if (!milestone && (DateTime.UtcNow - _last).TotalMilliseconds < 250) return;
        _last = DateTime.UtcNow;
        try
        {
            _parent.StatusDescription = p.Description;
            _parent.PercentComplete = p.Count > 0 ? Math.Min(100, p.Index * 100 / p.Count) : -1;
            _cmdlet.WriteProgress(_parent);
            if (p.Phase is TransferPhase.Manifest or TransferPhase.Registering || p.Digest.Length == 0) return;
            if (!_children.TryGetValue(p.Index, out var child))
                _children[p.Index] = child = new ProgressRecord(ParentId + 1 + p.Index, Short(p.Digest), p.Description) { ParentActivityId = ParentId };
            child.StatusDescription = p.Phase == TransferPhase.Transferring && p.Total > 0
                ? $"{p.Description}: {p.Bytes / 1048576.0:0.0} of {p.Total / 1048576.0:0.0} MiB"
                : p.Description;
            child.PercentComplete = p.Total > 0 ? (int)Math.Min(100, p.Bytes * 100 / p.Total) : -1;
            if (p.Phase is TransferPhase.Done or TransferPhase.Skipped)
            {
                child.PercentComplete = 100;
                child.RecordType = ProgressRecordType.Completed;
            }
            _cmdlet.WriteProgress(child);
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C while writing progress: the engine sees the cancellation token next.
        }
    }

    public void Complete()
    {
        try
        {
            foreach (var c in _children.Values.Where(c => c.RecordType != ProgressRecordType.Completed))
            {
                c.RecordType = ProgressRecordType.Completed;
                _cmdlet.WriteProgress(c);
            }
            _parent.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_parent);
        }
        catch (PipelineStoppedException) { }
        catch (InvalidOperationException) { }
    }

    private static string Short(string digest) => digest.StartsWith("sha256:") && digest.Length > 19 ? digest[7..19] : digest;
}
