namespace PodShell.Engine.Cgroups;

/// <summary>One controller of one cgroup version (youki's habit): knows its files and how to read them
/// into a ContainerCgroup. Drivers compose these; fixture tests drive them against temp directories.</summary>
internal interface ICgroupController
{
    /// <summary>The controller name: on v1 the hierarchy its files live in ("memory", "cpuacct", ...).</summary>
    string Name { get; }

    /// <summary>Reads the controller's files from <paramref name="directory"/>; a missing file leaves
    /// the figure at its default (the controller may be disabled for that cgroup).</summary>
    void Read(string directory, PodShell.ContainerCgroup into);
}
