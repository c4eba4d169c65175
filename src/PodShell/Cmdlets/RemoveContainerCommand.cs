using System.Management.Automation;

namespace PodShell;

/// <summary>Removes containers and everything they own on the host (podman rm).</summary>
[Cmdlet(VerbsCommon.Remove, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            // ShouldProcess first, so -WhatIf holds even with -Force (Stop-Process's rule).
            if (!ShouldProcess(c.Name, "Remove container")) continue;
            Try(() => Engine.RemoveContainer(c.Id, Force, CancellationToken));
        }
    }
}
