using System.Management.Automation;

namespace PodShell;

/// <summary>Thaws suspended containers (podman unpause).</summary>
[Cmdlet(VerbsLifecycle.Resume, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Unpause-Container")]
[OutputType(typeof(Container))]
public sealed class ResumeContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, "Resume container")) continue;
            Try(() =>
            {
                var result = Engine.ResumeContainer(c.Id, CancellationToken);
                if (PassThru) WriteObject(result);
            });
        }
    }
}
