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

    /// <summary>The containers this invocation names, freshly read from the store. A name that matches
    /// nothing writes ContainerNotFound (non-terminating) and is skipped.</summary>
    protected IEnumerable<Container> Targets()
    {
        switch (ParameterSetName)
        {
            case ByObject:
                foreach (var c in InputObject)
                    if (Resolve(c.Id, c) is { } hit) yield return hit;
                break;
            case ById:
                foreach (var id in Id)
                    if (Resolve(id, id) is { } hit) yield return hit;
                break;
            default:
                foreach (var n in Name)
                {
                    if (WildcardPattern.ContainsWildcardCharacters(n))
                    {
                        var p = WildcardPattern.Get(n, WildcardOptions.IgnoreCase);
                        List<Container> all = new();
                        Try(() => all = Engine.GetContainers().Where(c => p.IsMatch(c.Name)).ToList());
                        foreach (var c in all) yield return c;
                    }
                    else if (Resolve(n, n) is { } hit)
                    {
                        yield return hit;
                    }
                }
                break;
        }
    }

    private Container? Resolve(string nameOrId, object target)
    {
        Container? found = null;
        Try(() => found = Engine.GetContainer(nameOrId));
        return found;
    }
}
