using System.Management.Automation;
using PodShell.Engine.Runtime;

namespace PodShell;

/// <summary>Sends a signal to the main process of running containers (podman kill).</summary>
[Cmdlet(VerbsCommunications.Send, "ContainerSignal", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Kill-Container")]
[OutputType(typeof(Container))]
public sealed class SendContainerSignalCommand : ContainerTargetCmdlet
{
    /// <summary>Name (SIGHUP, HUP) or number; SIGKILL by default, as podman kill.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Signal { get; set; } = "SIGKILL";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            if (!ShouldProcess(c.Name, $"Send {Signal}")) continue;
            Try(() =>
            {
                var result = Engine.KillContainer(c.Id, Signals.Parse(Signal), CancellationToken);
                if (PassThru) WriteObject(result);
            });
        }
    }
}
