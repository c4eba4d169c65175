using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Images.Archive;

namespace PodShell;

/// <summary>Writes images to an oci-archive, a docker-archive or an OCI layout directory (podman save),
/// readable by podman load, skopeo and umoci.</summary>
[Cmdlet(VerbsData.Export, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo), typeof(DirectoryInfo))]
public sealed class ExportContainerImageCommand : PodShellCmdlet
{
    private readonly List<ContainerImage> _images = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>podman save's names for the formats.</summary>
    [Parameter]
    [ValidateSet("oci-archive", "docker-archive", "oci-dir")]
    public string Format { get; set; } = "oci-archive";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var n in Name)
            Try(() =>
            {
                var image = Engine.ResolveImage(n);
                // Like podman save: an image asked for by name is written under that name only (skopeo and
                // podman load refuse an oci-archive whose index lists several entries without a reference);
                // by id, under all its names.
                var byName = PodShell.Engine.Images.ImageReference.Candidates(n).FirstOrDefault(c => image.Names.Contains(c, StringComparer.Ordinal));
                var names = byName != null ? new[] { byName } : image.Names;
                var known = _images.FindIndex(i => i.Id == image.Id);
                if (known < 0) _images.Add(WithNames(image, names));
                else _images[known] = WithNames(image, _images[known].Names.Concat(names).Distinct().ToArray());
            });
    }

    private static ContainerImage WithNames(ContainerImage i, string[] names) => new()
    {
        Id = i.Id, Names = names, Digest = i.Digest, Created = i.Created, Size = i.Size,
        Architecture = i.Architecture, Os = i.Os, Layers = i.Layers, Config = i.Config,
    };

    protected override void EndProcessing()
    {
        if (_images.Count == 0) return;
        var full = GetUnresolvedProviderPathFromPSPath(Path);
        var format = Format.ToLowerInvariant() switch
        {
            "docker-archive" => ImageArchiveFormat.DockerArchive,
            "oci-dir" => ImageArchiveFormat.OciDirectory,
            _ => ImageArchiveFormat.OciArchive,
        };
        var names = string.Join(", ", _images.Select(i => i.Name));
        if (!ShouldProcess(full, $"Export {names} as {Format}")) return;
        var progress = new ProgressRecord(2, "Exporting " + names, "Writing " + full);
        var pipelineThread = Environment.CurrentManagedThreadId;
        Try(() =>
        {
            Engine.ExportImages(_images, full, format, p =>
            {
                if (Environment.CurrentManagedThreadId != pipelineThread) return;
                progress.Activity = $"{p.Activity} {p.Current}/{p.Total}";
                progress.PercentComplete = p.Total > 0 ? Math.Min(100, p.Current * 100 / p.Total) : -1;
                progress.StatusDescription = p.Status.Length > 19 ? p.Status[..19] : p.Status;
                WriteProgress(progress);
            }, CancellationToken);
            if (PassThru)
            {
                if (format == ImageArchiveFormat.OciDirectory) WriteObject(new DirectoryInfo(full));
                else WriteObject(new FileInfo(full));
            }
        });
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }
}
