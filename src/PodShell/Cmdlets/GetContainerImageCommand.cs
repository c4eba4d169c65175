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
        if (ParameterSetName != "ById" && (Name is null || Name.Length == 0))
        {
            Try(() => WriteObject(Engine.GetImages(), true));
            return;
        }
        foreach (var image in NameResolvers.Images(Engine).Resolve(ParameterSetName == "ById" ? Id : Name!, Try, Resolved))
            WriteObject(image);
    }
}
