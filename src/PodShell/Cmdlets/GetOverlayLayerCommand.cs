using System.Management.Automation;

namespace PodShell;

/// <summary>Shows the overlay layers behind a container's root filesystem (from the live mount) or an image.</summary>
[Cmdlet(VerbsCommon.Get, "OverlayLayer", DefaultParameterSetName = "Container")]
[OutputType(typeof(OverlayLayer))]
public sealed class GetOverlayLayerCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "Container", Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Container { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ContainerObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Container[] InputObject { get; set; } = Array.Empty<Container>();

    [Parameter(ParameterSetName = "Image", Mandatory = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Image { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ImageObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerImage[] ImageObject { get; set; } = Array.Empty<ContainerImage>();

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case "Container":
                foreach (var c in NameResolvers.Containers(Engine).Resolve(Container, Try, Resolved)) Try(() => WriteObject(Engine.GetContainerLayers(c.Id), true));
                break;
            case "ContainerObject":
                foreach (var c in InputObject) Try(() => WriteObject(Engine.GetContainerLayers(c.Id), true));
                break;
            case "Image":
                foreach (var i in NameResolvers.Images(Engine).Resolve(Image, Try, Resolved)) Try(() => WriteObject(Engine.GetImageLayers(i), true));
                break;
            default:
                foreach (var i in ImageObject) Try(() => WriteObject(Engine.GetImageLayers(Engine.ResolveImage(i.Id)), true));
                break;
        }
    }
}
