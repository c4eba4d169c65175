using System.Management.Automation;

namespace PodShell;

/// <summary>Starts containers under conmon and the OCI runtime (podman start). A started container
/// keeps running after this pwsh exits.</summary>
[Cmdlet(VerbsLifecycle.Start, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Container))]
public sealed class StartContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, "Start container")) continue;
            Try(() =>
            {
                var started = Engine.StartContainer(c.Id, CancellationToken);
                if (PassThru) WriteObject(started);
            });
        }
    }
}
