using PodShell.Engine.Overlay;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    private (string Upper, IReadOnlyList<string> LowersTopFirst, ContainerImage? Image) ContainerLayerDirs(Container c)
    {
        var image = GetImages().FirstOrDefault(i => i.Id == c.ImageId);
        var upper = Path.Combine(Layers.Root, c.Id, "diff");
        var lowers = image is null ? (IReadOnlyList<string>)Array.Empty<string>()
            : Enumerable.Reverse(image.Layers).Where(Layers.Exists).Select(l => Layers.Get(l).DiffDir).ToList();
        return (upper, lowers, image);
    }

    /// <summary>What the container added, changed and deleted (podman diff), read from its upper dir against
    /// the image's layers; the files the engine itself places (/etc/hosts, /etc/hostname, /etc/resolv.conf,
    /// /run/.containerenv) are left out. Works on stopped containers too.</summary>
    public IReadOnlyList<ContainerChange> GetChanges(string nameOrId)
    {
        var c = GetContainer(nameOrId);
        var (upper, lowers, _) = ContainerLayerDirs(c);
        return OverlayChanges.Read(upper, lowers)
            .Select(x => new ContainerChange { ContainerId = c.Id, ContainerName = c.Name, Path = x.Path, Kind = x.Kind })
            .ToList();
    }
}
