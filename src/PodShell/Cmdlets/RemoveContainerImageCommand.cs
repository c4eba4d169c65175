using System.Management.Automation;

namespace PodShell;

/// <summary>Removes images and the layers no other image uses (podman rmi).</summary>
[Cmdlet(VerbsCommon.Remove, "ContainerImage", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveContainerImageCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerImage[] InputObject { get; set; } = Array.Empty<ContainerImage>();

    /// <summary>Also remove the containers that use the image.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == "ByObject" ? InputObject.Select(i => i.Id) : Name;
        foreach (var n in names)
        {
            Try(() =>
            {
                var image = Engine.ResolveImage(n);
                if (ShouldProcess(image.Name, "Remove image")) Engine.RemoveImage(image, Force);
            });
        }
    }
}
