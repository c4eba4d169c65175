using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>Imports a root filesystem (tar, tar.gz or directory) as an image (podman import).</summary>
[Cmdlet(VerbsData.Import, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ContainerImage))]
public sealed class ImportContainerImageCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Default command of the image (the config's Cmd).</summary>
    [Parameter]
    public string[]? Command { get; set; }

    protected override void ProcessRecord()
    {
        var full = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(full, $"Import as image '{Name}'")) return;
        var progress = new ProgressRecord(1, $"Importing {Name}", "Reading " + full);
        var pipelineThread = Environment.CurrentManagedThreadId;
        var last = DateTime.MinValue;
        Try(() =>
        {
            var config = Command is { Length: > 0 } ? new ImageConfig { Cmd = Command } : null;
            // The engine reports from this same thread (it reads the archive here), so WriteProgress is allowed.
            var image = Engine.ImportImage(full, Name, config, (read, total) =>
            {
                if (Environment.CurrentManagedThreadId != pipelineThread || (DateTime.UtcNow - last).TotalMilliseconds < 250) return;
                last = DateTime.UtcNow;
                progress.PercentComplete = total > 0 ? (int)Math.Min(100, read * 100 / total) : -1;
                progress.StatusDescription = $"{read / 1048576.0:0.0} of {total / 1048576.0:0.0} MiB";
                WriteProgress(progress);
            }, CancellationToken);
            WriteObject(image);
        });
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }
}
