using System.Management.Automation;

namespace PodShell;

/// <summary>Lists networks (podman network ls / inspect) with the containers attached to them.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerNetwork")]
[OutputType(typeof(ContainerNetwork))]
public sealed class GetContainerNetworkCommand : PodShellCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [NounNameTransformation(typeof(ContainerNetwork), "network", "Get-ContainerNetwork")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is null || Name.Length == 0)
        {
            Try(() => WriteObject(Engine.GetNetworks(), true));
            return;
        }
        foreach (var network in NameResolvers.Networks(Engine).Resolve(Name, Try, Resolved))
            WriteObject(network);
    }
}
