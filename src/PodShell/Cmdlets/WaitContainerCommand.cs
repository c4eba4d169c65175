using System.Management.Automation;

namespace PodShell;

/// <summary>Waits until containers reach a state; for Exited (the default) it returns their exit codes (podman wait).</summary>
[Cmdlet(VerbsLifecycle.Wait, "Container", DefaultParameterSetName = ByName)]
[OutputType(typeof(int), typeof(Container))]
public sealed class WaitContainerCommand : ContainerTargetCmdlet
{
    /// <summary>Seconds to wait at most; 0 or absent waits forever.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Timeout { get; set; }

    /// <summary>The states to wait for; Exited by default.</summary>
    [Parameter]
    public ContainerState[] Condition { get; set; } = { ContainerState.Exited };

    /// <summary>Write the container object (instead of the exit code) once the condition holds.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var timeout = Timeout > 0 ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null;
        // A container object is waited for by its id without a fresh lookup first: an auto-removed
        // container may already be gone, and the engine still knows its exit code.
        var targets = ParameterSetName == ByObject ? InputObject.Where(c => Resolved.Add(c.Id)) : Targets();
        foreach (var c in targets)
        {
            Try(() =>
            {
                if (Condition.Length == 1 && Condition[0] == ContainerState.Exited && !PassThru)
                {
                    WriteObject(RunWithProgress(() => Engine.WaitContainer(c.Id, timeout, CancellationToken), $"Waiting for {c.Name}", "until it exits"));
                    return;
                }
                var reached = Engine.WaitForState(c.Id, Condition, timeout, CancellationToken);
                if (PassThru) WriteObject(reached);
                else if (reached.State == ContainerState.Exited) WriteObject(reached.ExitCode ?? -1);
            });
        }
    }
}
