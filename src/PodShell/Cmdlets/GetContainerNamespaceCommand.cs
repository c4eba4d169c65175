using System.Management.Automation;

namespace PodShell;

/// <summary>Shows the namespaces a running container lives in, read from /proc/&lt;pid&gt;/ns, next to
/// those of the calling process.</summary>
[Cmdlet(VerbsCommon.Get, "ContainerNamespace", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerNamespace))]
public sealed class GetContainerNamespaceCommand : ContainerTargetCmdlet
{
    /// <summary>Only these namespace types (mnt, uts, ipc, pid, net, cgroup, user, time).</summary>
    [Parameter]
    [ValidateSet("mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time")]
    public string[]? Type { get; set; }

    /// <summary>Host process ids: the namespaces of any process, to compare with containers'.</summary>
    [Parameter(ParameterSetName = "ByProcessId", Mandatory = true)]
    [ValidateRange(1, int.MaxValue)]
    public int[] ProcessId { get; set; } = Array.Empty<int>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "ByProcessId")
        {
            foreach (var pid in ProcessId)
                Try(() =>
                {
                    foreach (var ns in Engine.GetProcessNamespaces(pid))
                        if (Type is null || Type.Contains(ns.Type, StringComparer.OrdinalIgnoreCase))
                            WriteObject(ns);
                });
            return;
        }
        foreach (var c in Targets())
        {
            Try(() =>
            {
                foreach (var ns in Engine.GetNamespaces(c.Id))
                    if (Type is null || Type.Contains(ns.Type, StringComparer.OrdinalIgnoreCase))
                        WriteObject(ns);
            });
        }
    }
}
