using PodShell.Engine.Linux;
using PodShell.Engine.Namespaces;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Containers;

/// <summary>What a container is made of, read from the kernel and the stores: its namespaces, its cgroup, its layers
/// (and an image's), and which container a host process is the init of.</summary>
internal sealed class InspectService
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly IContainerImages _images;

    public InspectService(EngineContext ctx, ContainerHandles handles, IContainerImages images)
    {
        _ctx = ctx;
        _handles = handles;
        _images = images;
    }

    /// <summary>The namespaces of the container's init process, read from /proc/&lt;pid&gt;/ns.</summary>
    public IReadOnlyList<ContainerNamespace> Namespaces(string nameOrId)
    {
        var c = _handles.GetRunning(nameOrId, "its namespaces");
        var list = NamespaceInspector.Inspect(c.Pid);
        foreach (var ns in list)
        {
            ns.ContainerId = c.Id;
            ns.ContainerName = c.Name;
        }
        return list;
    }

    /// <summary>The container's cgroup, every figure read from cgroupfs.</summary>
    public ContainerCgroup Cgroup(string nameOrId)
    {
        var c = _handles.GetRunning(nameOrId, "its cgroup and limits");
        var cg = _ctx.Cgroups.Read(c.Pid);
        cg.ContainerId = c.Id;
        cg.ContainerName = c.Name;
        _ctx.Host.MarkUnenforced(cg);
        return cg;
    }

    /// <summary>The container's writable layer (dirs from the live overlay mount when mounted) and
    /// the image layers below it, top first.</summary>
    public IReadOnlyList<OverlayLayer> ContainerLayers(string nameOrId)
    {
        var c = _handles.Get(nameOrId);
        var image = _images.List().FirstOrDefault(i => i.Id == c.ImageId);
        var merged = _ctx.MergedDir(c.Id);
        var mount = _ctx.Host.FindMount(merged);
        var root = Path.Combine(_ctx.Layers.Root, c.Id);
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
            LowerDirs = mount?.LowerDirs ?? ((image == null ? null : Enumerable.Reverse(image.Layers))?.Select(l => _ctx.Layers.Get(l).DiffDir).ToArray() ?? Array.Empty<string>()),
            // fuse-overlayfs (rootless fallback) does not show its dirs in mountinfo, but it is mounted all the same.
            Mounted = mount != null || _ctx.Host.IsFuseMount(merged),
            Size = IO.DiskUsage.Of(Path.Combine(root, "diff")),
        };
        var list = new List<OverlayLayer> { top };
        if (image != null) list.AddRange(ImageLayers(image).Reverse());
        return list;
    }

    /// <summary>An image's layers, base first.</summary>
    public IReadOnlyList<OverlayLayer> ImageLayerList(ContainerImage image) => ImageLayers(image).ToList();

    private IEnumerable<OverlayLayer> ImageLayers(ContainerImage image)
    {
        // Layers are content-addressed and shared: say which images use each one.
        var usedBy = _images.List().SelectMany(i => i.Layers.Select(l => (Layer: l, Image: i.Names.Length > 0 ? i.Names[0] : i.Id[..12])))
            .GroupBy(x => x.Layer).ToDictionary(g => g.Key, g => g.Select(x => x.Image).Distinct().ToArray());
        string parent = "";
        foreach (var id in image.Layers)
        {
            var rec = _ctx.Store.GetLayer(id);
            var info = _ctx.Layers.Exists(id) ? _ctx.Layers.Get(id) : null;
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

    /// <summary>The namespaces of any process on the host, read from /proc/&lt;pid&gt;/ns. When the process is the
    /// init of a running container, ContainerId and ContainerName say which. Throws "ProcessNotFound".</summary>
    public IReadOnlyList<ContainerNamespace> ProcessNamespaces(int pid)
    {
        var list = NamespaceInspector.Inspect(pid);
        var owner = _handles.List().FirstOrDefault(c => c.State is ContainerState.Running or ContainerState.Paused && c.Pid == pid);
        if (owner is not null)
            foreach (var ns in list)
            {
                ns.ContainerId = owner.Id;
                ns.ContainerName = owner.Name;
            }
        return list;
    }
}
