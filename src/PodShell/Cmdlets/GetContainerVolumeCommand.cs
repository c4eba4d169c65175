using System.Management.Automation;

namespace PodShell;

/// <summary>Lists named volumes (podman volume ls / inspect), with the containers that use them.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerVolume")]
[OutputType(typeof(ContainerVolume))]
public sealed class GetContainerVolumeCommand : PodShellCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [NounNameTransformation(typeof(ContainerVolume), "volume", "Get-ContainerVolume")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Also measure the files in each volume (walks the whole tree).</summary>
    [Parameter]
    public SwitchParameter Size { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is null || Name.Length == 0)
        {
            Try(() => WriteObject(Engine.GetVolumes(Size), true));
            return;
        }
        foreach (var v in NameResolvers.Volumes(Engine).Resolve(Name, Try, Resolved))
        {
            if (Size) Try(() => WriteObject(Engine.GetVolume(v.Name, withSize: true)));
            else WriteObject(v);
        }
    }
}
