using System.Management.Automation;

namespace PodShell;

/// <summary>Stops and starts containers again (podman restart).</summary>
[Cmdlet(VerbsLifecycle.Restart, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Container))]
public sealed class RestartContainerCommand : ContainerTargetCmdlet
{
    /// <summary>Seconds to wait after the stop signal before SIGKILL.</summary>
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
            if (!ShouldProcess(c.Name, "Restart container")) continue;
            Try(() =>
            {
                var started = RunWithProgress(() => Engine.RestartContainer(c.Id, Timeout, CancellationToken), $"Restarting {c.Name}", "stopping and starting");
                if (PassThru) WriteObject(started);
            });
        }
    }
}
