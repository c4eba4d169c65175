using System.Management.Automation;

namespace PodShell;

/// <summary>What a container added, changed and deleted in its filesystem (podman diff), read from its
/// overlay upper dir.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerChange", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerChange))]
public sealed class GetContainerChangeCommand : ContainerTargetCmdlet
{
    /// <summary>Only changes of these kinds.</summary>
    [Parameter]
    public ChangeKind[]? Kind { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var c in Targets())
            Try(() =>
            {
                foreach (var change in Engine.GetChanges(c.Id))
                    if (Kind is null || Kind.Contains(change.Kind))
                        WriteObject(change);
            });
    }
}
