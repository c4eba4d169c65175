using System.Management.Automation;

namespace PodShell;

/// <summary>Stops running containers: the stop signal, then SIGKILL after -Timeout seconds (podman stop).</summary>
[Cmdlet(VerbsLifecycle.Stop, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Container))]
public sealed class StopContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    [Alias("Time")]
    public int Timeout { get; set; } = 10;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, "Stop container")) continue;
            Try(() =>
            {
                var stopped = Engine.StopContainer(c.Id, Timeout, 15, CancellationToken);
                if (PassThru) WriteObject(stopped);
            });
        }
    }
}
