using PodShell.Engine.Namespaces;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>The namespaces of any process on the host, read from /proc/&lt;pid&gt;/ns. When the process is the
    /// init of a running container, ContainerId and ContainerName say which. Throws "ProcessNotFound".</summary>
    public IReadOnlyList<ContainerNamespace> GetProcessNamespaces(int pid)
    {
        var list = NamespaceInspector.Inspect(pid);
        var owner = GetContainers().FirstOrDefault(c => c.State is ContainerState.Running or ContainerState.Paused && c.Pid == pid);
        if (owner is not null)
            foreach (var ns in list)
            {
                ns.ContainerId = owner.Id;
                ns.ContainerName = owner.Name;
            }
        return list;
    }
}
