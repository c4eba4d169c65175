namespace PodShell.Engine.Cgroups;

/// <summary>cgroup v2: one unified hierarchy at the mount root, every controller's files in one directory.</summary>
public sealed class CgroupV2Driver : ICgroupDriver
{
    private static readonly ICgroupController[] Controllers =
    {
        new V2.MemoryController(),
        new V2.CpuController(),
        new V2.PidsController(),
        new V2.IoController(),
    };

    private readonly string _mountRoot;
    private readonly string _procRoot;

    public CgroupV2Driver(string mountRoot = "/sys/fs/cgroup", string procRoot = "/proc")
    {
        _mountRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountRoot));
        _procRoot = procRoot;
    }

    public int Version => 2;
    public CgroupMode Mode => CgroupMode.V2;

    // The mount at our root, for its root field: inside a container without a cgroup namespace the
    // mount shows a subtree, and /proc/<pid>/cgroup paths must be made relative to it.
    private CgroupMount Mount() =>
        CgroupMount.ReadAll(_procRoot).LastOrDefault(m => m.IsV2 && m.MountPoint == _mountRoot)
        ?? new CgroupMount("", "/", _mountRoot, "cgroup2", Array.Empty<string>());

    public PodShell.ContainerCgroup Read(int pid)
    {
        var entry = ProcessCgroups.Read(_procRoot, pid).FirstOrDefault(e => e.HierarchyId == 0 && e.Controllers.Count == 0)
            ?? throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound,
                $"Process {pid} is in no cgroup v2 hierarchy.", pid);
        var relative = Mount().RelativePath(entry.Path)
            ?? throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound,
                $"The cgroup {entry.Path} of process {pid} is outside the hierarchy mounted at {_mountRoot}.", pid);
        return ReadRelative(relative, pid);
    }

    public PodShell.ContainerCgroup ReadPath(string cgroupPath) =>
        ReadRelative(CgroupTree.Normalize(cgroupPath), cgroupPath);

    private PodShell.ContainerCgroup ReadRelative(string relative, object target)
    {
        var dir = CgroupMount.Join(_mountRoot, relative);
        if (!Directory.Exists(dir))
            throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound, $"Cgroup {relative} does not exist ({dir}).", target);
        var result = new PodShell.ContainerCgroup { Version = 2, Path = relative };
        result.Directories["unified"] = dir;
        foreach (var controller in Controllers)
            controller.Read(dir, result);
        return result;
    }

    public bool Exists(string cgroupPath) =>
        Directory.Exists(CgroupMount.Join(_mountRoot, CgroupTree.Normalize(cgroupPath)));

    public void Remove(string cgroupPath)
    {
        var path = CgroupTree.NormalizeForRemoval(cgroupPath);
        CgroupTree.Remove(CgroupMount.Join(_mountRoot, path), path);
    }

    public bool RemoveIfEmpty(string cgroupPath)
    {
        try
        {
            var dir = CgroupMount.Join(_mountRoot, CgroupTree.NormalizeForRemoval(cgroupPath));
            return CgroupTree.IsEmpty(dir) && CgroupTree.TryRemoveOnce(dir);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
