using System.Management.Automation;

namespace PodShell;

/// <summary>Returns a container's output as objects with Time, Stream and Line (podman logs).</summary>
[Cmdlet(VerbsCommon.Get, "ContainerLog", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerLogEntry))]
public sealed class GetContainerLogCommand : ContainerTargetCmdlet
{
    /// <summary>Only the last N lines.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Tail { get; set; } = -1;

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            Try(() =>
            {
                var lines = Engine.GetLogs(c.Id);
                if (Tail >= 0) lines = lines.TakeLast(Tail);
                foreach (var l in lines) WriteObject(l);
            });
        }
    }
}
