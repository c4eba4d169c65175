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
        IEnumerable<string> targets = ParameterSetName == "ByObject" ? InputObject.Select(v => v.Name) : ExpandNames();
        foreach (var name in targets)
        {
            Try(() =>
            {
                var n = Engine.GetNetwork(name);
                var action = n.Containers.Length > 0 && Force
                    ? $"Remove network and the containers on it ({string.Join(", ", n.Containers)})"
                    : "Remove network";
                if (!ShouldProcessOrForce(name, action, Force)) return;
                Engine.RemoveNetwork(name, Force, CancellationToken);
                if (PassThru) WriteObject(n);
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
            Try(() => hits = Engine.GetNetworks().Select(v => v.Name).Where(x => p.IsMatch(x)).ToList());
            foreach (var h in hits) yield return h;
        }
    }
}
