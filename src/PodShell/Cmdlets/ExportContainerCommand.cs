using System.Management.Automation;

namespace PodShell;

/// <summary>Writes a container's root filesystem as a tar file (podman export).</summary>
[Cmdlet(VerbsData.Export, "Container", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportContainerCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ContainerTransformation]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The tar file to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var full = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(full, $"Export the filesystem of container '{Name}'")) return;
        var tmp = full + ".partial";
        bool ok = Try(() =>
        {
            try
            {
                using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                    Engine.ExportContainer(Name, fs, CancellationToken);
                File.Move(tmp, full, overwrite: true);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        });
        if (ok && PassThru) WriteObject(new FileInfo(full));
    }
}
