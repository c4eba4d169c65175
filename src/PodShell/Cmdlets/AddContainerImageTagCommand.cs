using System.Management.Automation;

namespace PodShell;

/// <summary>Gives an image another name (podman tag).</summary>
[Cmdlet(VerbsCommon.Add, "ContainerImageTag", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[Alias("Tag-ContainerImage")]
[OutputType(typeof(ContainerImage))]
public sealed class AddContainerImageTagCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerImage? InputObject { get; set; }

    /// <summary>The new names, e.g. myapp:1.0 or registry.example.com/team/myapp:1.0.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Tag { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var source = InputObject?.Id ?? Name;
        foreach (var tag in Tag)
        {
            if (!ShouldProcess(source, $"Tag as '{tag}'")) continue;
            Try(() =>
            {
                var image = Engine.TagImage(source, tag);
                if (PassThru) WriteObject(image);
            });
        }
    }
}
