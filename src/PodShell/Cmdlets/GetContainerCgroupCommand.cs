using System.Management.Automation;

namespace PodShell;

/// <summary>Shows a running container's cgroup: limits and usage read from the kernel's cgroup files.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerCgroup", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerCgroup))]
public sealed class GetContainerCgroupCommand : ContainerTargetCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
            Try(() => WriteObject(Engine.GetCgroup(c.Id)));
    }
}
