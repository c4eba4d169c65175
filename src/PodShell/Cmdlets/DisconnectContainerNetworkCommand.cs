using System.Management.Automation;

namespace PodShell;

/// <summary>Detaches containers from a network (podman network disconnect). A running container loses
/// the interface at once; after its last network it keeps only lo.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "ContainerNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Container))]
public sealed class DisconnectContainerNetworkCommand : PodShellCmdlet
{
    /// <summary>The network to disconnect from.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Container names or ids, or Container objects from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ContainerTransformation]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Container { get; set; } = Array.Empty<string>();

    /// <summary>Update the container even when netavark cannot remove the interface.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in NameResolvers.Containers(Engine).Resolve(Container, Try, Resolved).Select(c => c.Name))
        {
            if (!ShouldProcess(target, $"Disconnect from network '{Name}'")) continue;
            Try(() =>
            {
                var c = Engine.DisconnectNetwork(Name, target, Force, CancellationToken);
                if (PassThru) WriteObject(c);
            });
        }
    }
}
