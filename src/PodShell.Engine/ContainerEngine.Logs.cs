using PodShell.Engine.Containers;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>The container's output from conmon's k8s-file log.</summary>
    public IEnumerable<ContainerLogEntry> GetLogs(string nameOrId)
    {
        var c = GetContainer(nameOrId);
        foreach (var e in K8sFileLog.Read(PathsFor(c.Id).LogFile))
        {
            e.ContainerId = c.Id;
            e.ContainerName = c.Name;
            yield return e;
        }
    }
}
