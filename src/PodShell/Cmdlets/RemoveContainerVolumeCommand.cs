using System.Management.Automation;

namespace PodShell;

/// <summary>Removes named volumes and their data (podman volume rm). A volume a container uses is
/// refused (VolumeInUse) unless -Force, which removes those containers first.</summary>
[Cmdlet(VerbsCommon.Remove, "ContainerVolume", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ContainerVolume))]
public sealed class RemoveContainerVolumeCommand : PodShellCmdlet
{
    [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [NounNameTransformation(typeof(ContainerVolume), "volume", "Get-ContainerVolume")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "ByObject", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ContainerVolume[] InputObject { get; set; } = Array.Empty<ContainerVolume>();

    /// <summary>Remove the containers that use the volume first (running ones are killed).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var requested = ParameterSetName == "ByObject" ? InputObject.Select(v => v.Name) : Name;
        foreach (var v in NameResolvers.Volumes(Engine).Resolve(requested, Try, Resolved))
        {
            var name = v.Name;
            Try(() =>
            {
                var action = v.UsedBy.Length > 0 && Force
                    ? $"Remove volume and its data, and the containers using it ({string.Join(", ", v.UsedBy)})"
                    : "Remove volume and its data";
                if (!ShouldProcessOrForce(name, action, Force)) return;
                var removed = Engine.RemoveVolume(name, Force, CancellationToken);
                if (PassThru) WriteObject(removed);
            });
        }
    }
}
