using System.Management.Automation;

namespace PodShell;

/// <summary>Attaches containers to one more network (podman network connect). A running container gets
/// the new interface at once; a created or exited one at its next start.</summary>
[Cmdlet(VerbsCommunications.Connect, "ContainerNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Container))]
public sealed class ConnectContainerNetworkCommand : PodShellCmdlet
{
    /// <summary>The network to connect to.</summary>
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

    /// <summary>A fixed IPv4 address on the network, kept across restarts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IPAddress { get; set; }

    /// <summary>More names the container answers to on this network (aardvark-dns).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Alias { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in NameResolvers.Containers(Engine).Resolve(Container, Try, Resolved).Select(c => c.Name))
        {
            if (!ShouldProcess(target, $"Connect to network '{Name}'")) continue;
            Try(() =>
            {
                var c = Engine.ConnectNetwork(Name, target, IPAddress, Alias, CancellationToken);
                if (PassThru) WriteObject(c);
            });
        }
    }
}
