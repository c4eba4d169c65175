using System.Management.Automation;

namespace PodShell;

/// <summary>Removes networks (podman network rm). A network containers use is refused (NetworkInUse)
/// unless -Force, which removes those containers first.</summary>
[Cmdlet(VerbsCommon.Remove, "ContainerNetwork", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ContainerNetwork))]
public sealed class RemoveContainerNetworkCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [NounNameTransformation(typeof(ContainerNetwork), "network", "Get-ContainerNetwork")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerNetwork[] InputObject { get; set; } = Array.Empty<ContainerNetwork>();

    /// <summary>Remove the containers attached to the network first (running ones are killed).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var requested = ParameterSetName == "ByObject" ? InputObject.Select(v => v.Name) : Name;
        foreach (var n in NameResolvers.Networks(Engine).Resolve(requested, Try, Resolved))
        {
            var name = n.Name;
            Try(() =>
            {
                var action = n.Containers.Length > 0 && Force
                    ? $"Remove network and the containers on it ({string.Join(", ", n.Containers)})"
                    : "Remove network";
                if (!ShouldProcessOrForce(name, action, Force)) return;
                Engine.RemoveNetwork(name, Force, CancellationToken);
                if (PassThru) WriteObject(n);
            });
        }
    }
}
