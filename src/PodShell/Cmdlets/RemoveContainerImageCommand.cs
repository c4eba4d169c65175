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
        IEnumerable<string> targets = ParameterSetName switch
        {
            "ByObject" => InputObject.Select(i => i.Id),
            "ById" => Id,
            _ => ExpandNames(),
        };
        foreach (var t in targets)
        {
            Try(() =>
            {
                var (image, matched) = Engine.ResolveImageName(t);
                var untagOnly = matched != null && image.Names.Length > 1;
                if (!ShouldProcessOrForce(matched ?? image.Name, untagOnly ? "Untag image" : "Remove image", Force)) return;
                var (removed, _) = Engine.RemoveImage(t, Force, CancellationToken);
                if (PassThru) WriteObject(removed);
            });
        }
    }

    private IEnumerable<string> ExpandNames()
    {
        foreach (var n in Name)
        {
            if (!WildcardPattern.ContainsWildcardCharacters(n)) { yield return n; continue; }
            var p = WildcardPattern.Get(n, WildcardOptions.IgnoreCase);
            List<string> hits = new();
            Try(() => hits = Engine.GetImages().SelectMany(i => i.Names).Where(x => p.IsMatch(x)).ToList());
            foreach (var h in hits) yield return h;
        }
    }
}
