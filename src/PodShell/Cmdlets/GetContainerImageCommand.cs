using System.Management.Automation;

namespace PodShell;

/// <summary>Lists images in the local store (podman images).</summary>
[Cmdlet(VerbsCommon.Get, "ContainerImage", DefaultParameterSetName = "ByName")]
[OutputType(typeof(ContainerImage))]
public sealed class GetContainerImageCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "ById")
        {
            foreach (var id in Id) Try(() => WriteObject(Engine.ResolveImage(id)));
            return;
        }
        if (Name is null || Name.Length == 0)
        {
            Try(() => WriteObject(Engine.GetImages(), true));
            return;
        }
        foreach (var n in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(n))
            {
                var p = WildcardPattern.Get(n, WildcardOptions.IgnoreCase);
                Try(() => WriteObject(Engine.GetImages().Where(i => i.Names.Any(x => p.IsMatch(x) || p.IsMatch(x.Split(':')[0]))), true));
            }
            else
            {
                Try(() => WriteObject(Engine.ResolveImage(n)));
            }
        }
    }
}
