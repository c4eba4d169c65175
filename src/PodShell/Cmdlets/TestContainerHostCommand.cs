using System.Management.Automation;
using PodShell.Engine.Runtime;

namespace PodShell;

/// <summary>Which host programs the module starts, which of them this host has (path, version) and the apt-get
/// line that installs the rest. A PSCmdlet, not a PodShellCmdlet: it opens no engine (no state directory, no
/// database), so it answers on a host where nothing else works yet.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ContainerHost")]
[OutputType(typeof(HostRequirement))]
[OutputType(typeof(bool))]
public sealed class TestContainerHostCommand : PSCmdlet
{
    /// <summary>Only the programs of these features.</summary>
    [Parameter(Position = 0)]
    [ValidateSet("Containers", "Init", "Networks", "Rootless")]
    public string[]? Feature { get; set; }

    /// <summary>Only $true (nothing missing) or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        var all = HostRequirements.Check(versions: !Quiet);
        var wanted = all.Where(r => Feature is null || Feature.Contains(r.Feature, StringComparer.OrdinalIgnoreCase)).ToList();
        var install = HostRequirements.InstallCommand(wanted);
        if (install != null)
        {
            var missing = string.Join(", ", wanted.Where(r => r.IsMissing).Select(r => r.Name));
            WriteWarning($"Missing on this host: {missing}. Install them as root: {install}");
        }
        if (Quiet) WriteObject(install is null);
        else WriteObject(wanted, enumerateCollection: true);
    }
}
