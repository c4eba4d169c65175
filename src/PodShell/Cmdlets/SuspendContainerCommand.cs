using System.Management.Automation;

namespace PodShell;

/// <summary>Freezes every process of running containers with the cgroup freezer (podman pause).</summary>
[Cmdlet(VerbsLifecycle.Suspend, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Pause-Container")]
[OutputType(typeof(Container))]
public sealed class SuspendContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, "Suspend container")) continue;
            Try(() =>
            {
                var result = Engine.SuspendContainer(c.Id, CancellationToken);
                if (PassThru) WriteObject(result);
            });
        }
    }
}
