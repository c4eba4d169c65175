using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Images.Archive;

namespace PodShell;

/// <summary>Imports images: an OCI layout directory, an oci-archive or a docker-archive (podman load), or a
/// root filesystem as a one-layer image (podman import). The format is told from the content.</summary>
[Cmdlet(VerbsData.Import, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ContainerImage))]
public sealed class ImportContainerImageCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Required for a root filesystem; for a single-image archive, replaces the archive's names.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Default command of the image (the config's Cmd); root filesystems only.</summary>
    [Parameter]
    public string[]? Command { get; set; }

    protected override void ProcessRecord()
    {
        var full = GetUnresolvedProviderPathFromPSPath(Path);
        var what = Name is null ? "Import images" : $"Import as image '{Name}'";
        if (!ShouldProcess(full, what)) return;
        var progress = new ProgressRecord(1, "Importing " + (Name ?? System.IO.Path.GetFileName(full)), "Reading " + full);
        var pipelineThread = Environment.CurrentManagedThreadId;
        var last = DateTime.MinValue;
        string lastStep = "";
        Try(() =>
        {
            var config = Command is { Length: > 0 } ? new ImageConfig { Cmd = Command } : null;
            // The engine reports from this same thread (it reads the archive here), so WriteProgress is allowed.
            var images = Engine.ImportArchive(full, Name, config, p =>
            {
                if (Environment.CurrentManagedThreadId != pipelineThread) return;
                var step = $"{p.Activity} {p.Current}/{p.Total}";
                // Throttled, except that every new layer is shown.
                if (step == lastStep && (DateTime.UtcNow - last).TotalMilliseconds < 250) return;
                last = DateTime.UtcNow;
                lastStep = step;
                progress.Activity = p.Total > 1 || p.Activity != "Importing root filesystem" ? step : p.Activity;
                progress.PercentComplete = p.TotalBytes > 0 ? (int)Math.Min(100, p.Bytes * 100 / p.TotalBytes) : -1;
                progress.StatusDescription = p.TotalBytes > 0
                    ? $"{Short(p.Status)}: {p.Bytes / 1048576.0:0.0} of {p.TotalBytes / 1048576.0:0.0} MiB"
                    : Short(p.Status);
                WriteProgress(progress);
            }, CancellationToken);
            foreach (var image in images) WriteObject(image);
        });
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }

    private static string Short(string s) => s.StartsWith("sha256:", StringComparison.Ordinal) && s.Length > 19 ? s[..19] : s;
}
