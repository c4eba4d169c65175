using System.Management.Automation;

namespace PodShell;

/// <summary>Base of the verbs that act on containers, shaped like Stop-Process: containers by value
/// from the pipeline, or names (with wildcards) and ids by property name.</summary>
public abstract class ContainerTargetCmdlet : PodShellCmdlet
{
    protected const string ByName = "ByName";
    protected const string ById = "ById";
    protected const string ByObject = "ByObject";

    /// <summary>Container names; wildcards are allowed.</summary>
    [Parameter(ParameterSetName = ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Container ids or unique id prefixes.</summary>
    [Parameter(ParameterSetName = ById, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>Container objects, as Get-Container returns them.</summary>
    [Parameter(ParameterSetName = ByObject, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Container[] InputObject { get; set; } = Array.Empty<Container>();

    /// <summary>The containers this invocation names, freshly read from the store, each once in the order
    /// first named (NameResolver). A name or id that matches nothing writes ContainerNotFound
    /// (non-terminating) and is skipped.</summary>
    protected IEnumerable<Container> Targets()
    {
        var requested = ParameterSetName switch
        {
            ByObject => InputObject.Select(c => c.Id),
            ById => Id,
            _ => Name,
        };
        return NameResolvers.Containers(Engine).Resolve(requested, Try, Resolved);
    }
}
