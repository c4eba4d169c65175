using System.Management.Automation;

namespace PodShell;

/// <summary>Lists containers (all states, like podman ps -a), reconciled with what the kernel and
/// conmon know at the moment of the call.</summary>
[Cmdlet(VerbsCommon.Get, "Container", DefaultParameterSetName = "ByName")]
[OutputType(typeof(Container))]
public sealed class GetContainerCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "ById")
        {
            foreach (var id in Id) Try(() => WriteObject(Engine.GetContainer(id)));
            return;
        }
        if (Name is null || Name.Length == 0)
        {
            Try(() => WriteObject(Engine.GetContainers(), true));
            return;
        }
        foreach (var n in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(n))
            {
                var p = WildcardPattern.Get(n, WildcardOptions.IgnoreCase);
                Try(() => WriteObject(Engine.GetContainers().Where(c => p.IsMatch(c.Name)), true));
            }
            else
            {
                Try(() => WriteObject(Engine.GetContainer(n)));
            }
        }
    }
}
