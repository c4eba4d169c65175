namespace PodShell.Engine.Cgroups;

/// <summary>Reads and removes container cgroups on one cgroup layout (v1/hybrid or v2).</summary>
public interface ICgroupDriver
{
    /// <summary>1 for V1 and Hybrid, 2 for V2.</summary>
    int Version { get; }
    CgroupMode Mode { get; }

    /// <summary>The cgroup of a live process, read from cgroupfs. Throws PodShellException
    /// "CgroupNotFound" (NotFound) when the process or its cgroup is gone.</summary>
    PodShell.ContainerCgroup Read(int pid);

    /// <summary>The cgroup at a path relative to the hierarchy roots (e.g. "/podshell/&lt;id&gt;").
    /// Throws "CgroupNotFound" when it does not exist.</summary>
    PodShell.ContainerCgroup ReadPath(string cgroupPath);

    /// <summary>True when the directory exists in any hierarchy the driver uses.</summary>
    bool Exists(string cgroupPath);

    /// <summary>Removes the cgroup (and its empty child cgroups) from every hierarchy. Idempotent.
    /// Throws "CgroupBusy" (ResourceBusy) when processes are still in it after a few retries.</summary>
    void Remove(string cgroupPath);

    /// <summary>Removes the cgroup only when it has no processes and no children. Never throws;
    /// true when it was removed or is absent.</summary>
    bool RemoveIfEmpty(string cgroupPath);
}
