namespace PodShell.Engine.Cgroups;

/// <summary>cgroup v1: one hierarchy per controller (or per co-mounted group such as cpu,cpuacct),
/// found from mountinfo. On a hybrid host the cgroup2 tree at unified/ is also kept in step
/// (runc joins it too), though no figure is read from it.</summary>
public sealed class CgroupV1Driver : ICgroupDriver
{
    private static readonly ICgroupController[] Controllers =
    {
        new V1.MemoryController(),
        new V1.CpuController(),
        new V1.CpuacctController(),
        new V1.PidsController(),
        new V1.BlkioController(),
    };

    // Which hierarchy names the container's Path: the first of these the process is in.
    private static readonly string[] PathPreference = { "memory", "pids", "cpu", "cpuacct" };

    private readonly string _mountRoot;
    private readonly string _procRoot;
    private readonly bool _hybrid;

    public CgroupV1Driver(string mountRoot = "/sys/fs/cgroup", string procRoot = "/proc", bool hybrid = false)
    {
        _mountRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountRoot));
        _procRoot = procRoot;
        _hybrid = hybrid;
    }

    public int Version => 1;
    public CgroupMode Mode => _hybrid ? CgroupMode.Hybrid : CgroupMode.V1;

    /// <summary>The mounted hierarchies: one mount per hierarchy, keyed by every controller it carries
    /// (including name=systemd), plus the unified mount on hybrid hosts.</summary>
    internal sealed class Layout
    {
        public Dictionary<string, CgroupMount> ByController { get; } = new(StringComparer.Ordinal);
        public List<CgroupMount> Hierarchies { get; } = new();
        public CgroupMount? Unified { get; set; }

        /// <summary>Every directory <paramref name="cgroupPath"/> has (or would have), one per hierarchy.</summary>
        public IEnumerable<string> DirectoriesFor(string cgroupPath)
        {
            var mounts = Unified is null ? Hierarchies : Hierarchies.Append(Unified);
            return mounts.Select(m => CgroupMount.Join(m.MountPoint, cgroupPath)).Distinct(StringComparer.Ordinal);
        }
    }

    internal Layout ReadLayout()
    {
        var layout = new Layout();
        var mounts = CgroupMount.ReadAll(_procRoot);
        // A hierarchy can be mounted more than once (bind mounts); the device number identifies it.
        // Prefer the mount under our mount root, then one showing the whole hierarchy.
        foreach (var group in mounts.Where(m => !m.IsV2 && m.Controllers.Count > 0).GroupBy(m => m.Device))
        {
            var chosen = group.OrderByDescending(m => IsUnder(m.MountPoint)).ThenByDescending(m => m.Root == "/").First();
            layout.Hierarchies.Add(chosen);
            foreach (var controller in chosen.Controllers)
                layout.ByController.TryAdd(controller, chosen);
        }
        if (layout.Hierarchies.Count == 0)
            GuessFromMountRoot(layout);
        if (_hybrid)
        {
            layout.Unified = mounts.Where(m => m.IsV2).OrderByDescending(m => IsUnder(m.MountPoint)).FirstOrDefault()
                ?? new CgroupMount("", "/", Path.Combine(_mountRoot, "unified"), "cgroup2", Array.Empty<string>());
        }
        return layout;
    }

    // Without a readable mountinfo, fall back to the usual layout: <root>/<controller[,controller]>,
    // co-mounted ones reached through symlinks (cpu -> cpu,cpuacct), which we skip.
    private void GuessFromMountRoot(Layout layout)
    {
        if (!Directory.Exists(_mountRoot))
            return;
        foreach (var dir in Directory.GetDirectories(_mountRoot).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            if (name == "unified" || new DirectoryInfo(dir).Attributes.HasFlag(FileAttributes.ReparsePoint))
                continue;
            var controllers = name.Split(',').Select(c => c == "systemd" ? "name=systemd" : c).ToArray();
            var mount = new CgroupMount("", "/", dir, "cgroup", controllers);
            layout.Hierarchies.Add(mount);
            foreach (var controller in controllers)
                layout.ByController.TryAdd(controller, mount);
        }
    }

    private bool IsUnder(string mountPoint) =>
        mountPoint.StartsWith(_mountRoot + "/", StringComparison.Ordinal);

    public PodShell.ContainerCgroup Read(int pid)
    {
        var entries = ProcessCgroups.Read(_procRoot, pid);
        var layout = ReadLayout();
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.HierarchyId != 0))
            foreach (var controller in entry.Controllers)
                paths[controller] = entry.Path;

        var result = new PodShell.ContainerCgroup { Version = 1 };
        foreach (var name in PathPreference)
        {
            if (paths.TryGetValue(name, out var p) && layout.ByController.TryGetValue(name, out var m))
            {
                // Mount-relative, so it can be handed back to ReadPath and Remove.
                var relative = m.RelativePath(p);
                if (relative is not null)
                {
                    result.Path = relative;
                    break;
                }
            }
        }

        Fill(result, controller =>
            paths.TryGetValue(controller, out var p) && layout.ByController.TryGetValue(controller, out var m)
                ? m.DirectoryFor(p) : null);
        if (result.Directories.Count == 0)
            throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound,
                $"The cgroup of process {pid} was not found in any v1 hierarchy.", pid);
        return result;
    }

    public PodShell.ContainerCgroup ReadPath(string cgroupPath)
    {
        var path = CgroupTree.Normalize(cgroupPath);
        var layout = ReadLayout();
        var result = new PodShell.ContainerCgroup { Version = 1, Path = path };
        Fill(result, controller =>
            layout.ByController.TryGetValue(controller, out var m) ? CgroupMount.Join(m.MountPoint, path) : null);
        if (result.Directories.Count == 0)
            throw new PodShellException(ErrorIds.CgroupNotFound, FailureKind.NotFound,
                $"Cgroup {path} was not found in any v1 hierarchy.", path);
        return result;
    }

    private static void Fill(PodShell.ContainerCgroup result, Func<string, string?> directoryOf)
    {
        foreach (var controller in Controllers)
        {
            var dir = directoryOf(controller.Name);
            if (dir is null || !Directory.Exists(dir))
                continue;
            result.Directories[controller.Name] = dir;
            controller.Read(dir, result);
        }
    }

    public bool Exists(string cgroupPath)
    {
        var path = CgroupTree.Normalize(cgroupPath);
        return ReadLayout().DirectoriesFor(path).Any(Directory.Exists);
    }

    public void Remove(string cgroupPath)
    {
        var path = CgroupTree.NormalizeForRemoval(cgroupPath);
        foreach (var dir in ReadLayout().DirectoriesFor(path))
            CgroupTree.Remove(dir, path);
    }

    public bool RemoveIfEmpty(string cgroupPath)
    {
        try
        {
            var path = CgroupTree.NormalizeForRemoval(cgroupPath);
            var dirs = ReadLayout().DirectoriesFor(path).ToList();
            // Check every hierarchy first so a busy one does not leave the others half removed.
            if (!dirs.All(CgroupTree.IsEmpty))
                return false;
            return dirs.Aggregate(true, (ok, dir) => CgroupTree.TryRemoveOnce(dir) && ok);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
