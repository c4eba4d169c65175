using System.Management.Automation;

namespace PodShell;

/// <summary>Removes images, or untags one name of an image that has several (podman rmi).</summary>
[Cmdlet(VerbsCommon.Remove, "ContainerImage", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ContainerImage))]
public sealed class RemoveContainerImageCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerImage[] InputObject { get; set; } = Array.Empty<ContainerImage>();

    /// <summary>Also remove the containers that use the image, and remove an image by id even when it has several names.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var requested = ParameterSetName switch
        {
            "ByObject" => InputObject.Select(i => i.Id),
            "ById" => Id,
            _ => Name,
        };
        // Each name once (a name untags, an id removes the image); the untag of one name is seen by the next
        // name's lookup, so 'web:1','web:2' of one image untag web:1 then remove the image.
        foreach (var (image, matched, t) in NameResolvers.ImageNames(Engine).Resolve(requested, Try, Resolved))
        {
            Try(() =>
            {
                var untagOnly = matched != null && image.Names.Length > 1;
                if (!ShouldProcessOrForce(matched ?? image.Name, untagOnly ? "Untag image" : "Remove image", Force)) return;
                var (removed, _) = Engine.RemoveImage(t, Force, CancellationToken);
                if (PassThru) WriteObject(removed);
            });
        }
    }
}
