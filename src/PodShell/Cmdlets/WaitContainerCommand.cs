using System.Management.Automation;

namespace PodShell;

/// <summary>Waits until containers exit and returns their exit codes (podman wait).</summary>
[Cmdlet(VerbsLifecycle.Wait, "Container", DefaultParameterSetName = ByName)]
[OutputType(typeof(int))]
public sealed class WaitContainerCommand : ContainerTargetCmdlet
{
    /// <summary>Seconds to wait at most; 0 or absent waits forever.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Timeout { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            Try(() => WriteObject(Engine.WaitContainer(c.Id, Timeout > 0 ? TimeSpan.FromSeconds(Timeout) : null, CancellationToken)));
        }
    }
}
