using System.Management.Automation;

namespace PodShell;

/// <summary>Removes unused images and the layers and blobs only they used (podman image prune).</summary>
[Cmdlet(VerbsCommon.Clear, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[Alias("Prune-ContainerImage")]
[OutputType(typeof(ContainerImage))]
public sealed class ClearContainerImageCommand : PodShellCmdlet
{
    /// <summary>Remove every image no container uses, not only the ones without a name.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        Try(() =>
        {
            var removed = Engine.PruneImages(All, i => ShouldProcess(i.Names.Length > 0 ? string.Join(", ", i.Names) : i.Id[..12], "Remove unused image"), CancellationToken);
            if (PassThru) WriteObject(removed, true);
        });
    }
}
