using System.Management.Automation;

namespace PodShell;

/// <summary>Creates a container from an image (podman create): writable layer, overlay mount, OCI
/// bundle with secure defaults. It is left in state Created; Start-Container runs it.</summary>
[Cmdlet(VerbsCommon.New, "Container", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Container))]
public sealed class NewContainerCommand : ContainerCreationCmdlet
{
    protected override void ProcessRecord()
    {
        var options = BuildOptions();
        if (options is null) return;
        if (!ShouldProcess(Name ?? Image, $"Create container from image '{Image}'")) return;
        Try(() => WriteObject(Engine.CreateContainer(options, CancellationToken)));
    }
}
