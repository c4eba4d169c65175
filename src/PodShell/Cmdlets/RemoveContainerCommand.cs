using System.Management.Automation;

namespace PodShell;

/// <summary>Removes containers and everything they own on the host (podman rm).</summary>
[Cmdlet(VerbsCommon.Remove, "Container", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Container))]
public sealed class RemoveContainerCommand : ContainerTargetCmdlet
{
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write each removed container (as it was read just before removal) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
        {
            // -WhatIf holds even with -Force (Stop-Process's rule); -Force alone does not prompt (Remove-VM's rule).
            if (!ShouldProcessOrForce(c.Name, "Remove container", Force)) continue;
            if (Try(() => Engine.RemoveContainer(c.Id, Force, CancellationToken)) && PassThru) WriteObject(c);
        }
    }
}
