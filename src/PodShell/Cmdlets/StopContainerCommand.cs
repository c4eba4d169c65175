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

    /// <summary>The first signal to send instead of the container's stop signal (name or number).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Signal { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, "Stop container")) continue;
            Try(() =>
            {
                int? signal = Signal is null ? null : PodShell.Engine.Runtime.Signals.Parse(Signal);
                var stopped = RunWithProgress(() => Engine.StopContainer(c.Id, Timeout, signal, CancellationToken), $"Stopping {c.Name}", $"waiting up to {Timeout} s for it to exit");
                if (PassThru) WriteObject(stopped);
            });
        }
    }
}
