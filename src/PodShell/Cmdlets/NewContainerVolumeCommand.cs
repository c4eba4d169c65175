using System.Collections;
using System.Management.Automation;

namespace PodShell;

/// <summary>Creates an empty named volume (podman volume create). New-Container -Volume also creates a
/// missing one on first use.</summary>
[Cmdlet(VerbsCommon.New, "ContainerVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ContainerVolume))]
public sealed class NewContainerVolumeCommand : PodShellCmdlet
{
    /// <summary>The volume's name; a random 64-hex name when omitted, as podman gives.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    [Parameter]
    public Hashtable? Label { get; set; }

    protected override void ProcessRecord()
    {
        var labels = Label?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");
        IEnumerable<string?> names = Name ?? new string?[] { null };
        foreach (var n in names)
        {
            if (!ShouldProcess(n ?? "(generated name)", "Create volume")) continue;
            Try(() => WriteObject(Engine.CreateVolume(n, labels)));
        }
    }
}
