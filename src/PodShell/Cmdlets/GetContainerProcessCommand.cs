using System.Management.Automation;

namespace PodShell;

/// <summary>The processes running in a container (podman top): host pid and container pid, user, CPU,
/// memory and command line, read from /proc.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerProcess", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerProcess))]
public sealed class GetContainerProcessCommand : ContainerTargetCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
            Try(() => WriteObject(Engine.GetProcesses(c.Id), enumerateCollection: true));
    }
}
