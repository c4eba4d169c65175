using System.Management.Automation;

namespace PodShell;

/// <summary>Creates a bridge network (podman network create). Containers on it reach each other by name.</summary>
[Cmdlet(VerbsCommon.New, "ContainerNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ContainerNetwork))]
public sealed class NewContainerNetworkCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>IPv4 subnet in CIDR form; a free /24 of 10.89.0.0/16 when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Subnet { get; set; }

    /// <summary>Gateway address (the bridge's); the subnet's first address when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Gateway { get; set; }

    /// <summary>No route out of the network.</summary>
    [Parameter]
    public SwitchParameter Internal { get; set; }

    /// <summary>No name resolution through aardvark-dns.</summary>
    [Parameter]
    public SwitchParameter DisableDns { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Create network")) return;
        Try(() => WriteObject(Engine.CreateNetwork(Name, Subnet, Gateway, Internal, !DisableDns)));
    }
}
