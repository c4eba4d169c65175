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

    protected override void ProcessRecord()
    {
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
