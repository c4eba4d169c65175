using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Namespaces;
using PodShell.Engine.Overlay;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    private Container RequireRunning(string nameOrId, string what)
    {
        var c = GetContainer(nameOrId);
        if (c.State != ContainerState.Running || c.Pid <= 0)
            throw new PodShellException("ContainerNotRunning", FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}: {what} exist only while it runs. Start it with Start-Container.", c);
        return c;
    }

    /// <summary>The namespaces of the container's init process, read from /proc/&lt;pid&gt;/ns.</summary>
    public IReadOnlyList<ContainerNamespace> GetNamespaces(string nameOrId)
    {
        var c = RequireRunning(nameOrId, "its namespaces");
        var list = NamespaceInspector.Inspect(c.Pid);
        foreach (var ns in list)
        {
            ns.ContainerId = c.Id;
            ns.ContainerName = c.Name;
        }
        return list;
    }

    /// <summary>The container's cgroup, every figure read from cgroupfs.</summary>
    public ContainerCgroup GetCgroup(string nameOrId)
    {
        var c = RequireRunning(nameOrId, "its cgroup and limits");
        var cg = Cgroups.Read(c.Pid);
        cg.ContainerId = c.Id;
        cg.ContainerName = c.Name;
        if (c.Rootless) MarkUnenforced(cg);
        return cg;
    }

    /// <summary>The container's writable layer (dirs from the live overlay mount when mounted) and
    /// the image layers below it, top first.</summary>
    public IReadOnlyList<OverlayLayer> GetContainerLayers(string nameOrId)
    {
        var c = GetContainer(nameOrId);
        var image = GetImages().FirstOrDefault(i => i.Id == c.ImageId);
        var merged = MergedDir(c.Id);
        var mount = UserNamespace is { } ns ? OverlayMount.Find(merged, ns.MountInfoPath) : OverlayMount.Find(merged);
        var root = Path.Combine(Layers.Root, c.Id);
        var top = new OverlayLayer
        {
            Id = c.Id,
            Kind = LayerKind.Container,
            ContainerId = c.Id,
            ImageId = c.ImageId,
            Parent = image?.Layers.LastOrDefault() ?? "",
            DiffDir = Path.Combine(root, "diff"),
            UpperDir = mount?.UpperDir ?? Path.Combine(root, "diff"),
            WorkDir = mount?.WorkDir ?? Path.Combine(root, "work"),
            MergedDir = merged,
            LowerDirs = mount?.LowerDirs ?? ((image == null ? null : Enumerable.Reverse(image.Layers))?.Select(l => Layers.Get(l).DiffDir).ToArray() ?? Array.Empty<string>()),
            // fuse-overlayfs (rootless fallback) does not show its dirs in mountinfo, but it is mounted all the same.
            Mounted = mount != null || (UserNamespace?.IsFuseMount(merged) ?? false),
            Size = DirectorySize(Path.Combine(root, "diff")),
        };
        var list = new List<OverlayLayer> { top };
        if (image != null) list.AddRange(ImageLayers(image).Reverse());
        return list;
    }

    /// <summary>An image's layers, base first.</summary>
    public IReadOnlyList<OverlayLayer> GetImageLayers(ContainerImage image) => ImageLayers(image).ToList();

    private IEnumerable<OverlayLayer> ImageLayers(ContainerImage image)
    {
        // Layers are content-addressed and shared: say which images use each one.
        var usedBy = GetImages().SelectMany(i => i.Layers.Select(l => (Layer: l, Image: i.Names.Length > 0 ? i.Names[0] : i.Id[..12])))
            .GroupBy(x => x.Layer).ToDictionary(g => g.Key, g => g.Select(x => x.Image).Distinct().ToArray());
        string parent = "";
        foreach (var id in image.Layers)
        {
            var rec = Store.GetLayer(id);
            var info = Layers.Exists(id) ? Layers.Get(id) : null;
            yield return new OverlayLayer
            {
                Id = id,
                Kind = LayerKind.Image,
                ImageId = image.Id,
                DiffId = rec?.DiffId ?? info?.DiffId ?? "",
                Size = rec?.Size ?? info?.Size ?? 0,
                Parent = parent,
                DiffDir = info?.DiffDir ?? "",
                UsedBy = usedBy.TryGetValue(id, out var users) ? users : Array.Empty<string>(),
            };
            parent = id;
        }
    }

    private static long DirectorySize(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        // A container's upper dir changes while it runs: walked by descriptor, so a directory swapped for a link to
        // the host mid-walk is not followed (issue 15).
        try
        {
            using var top = DirectoryHandle.Open(dir);
            return DirectorySize(top);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    private static long DirectorySize(DirectoryHandle dir)
    {
        long total = 0;
        List<string> names;
        try { names = dir.Names(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var name in names)
        {
            if (dir.StatAt(name) is not { } st) continue;
            if (st.IsRegularFile) total += st.Size;
            else if (st.IsDirectory)
            {
                try
                {
                    using var sub = dir.OpenDirectoryAt(name);
                    total += DirectorySize(sub);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        return total;
    }


}
