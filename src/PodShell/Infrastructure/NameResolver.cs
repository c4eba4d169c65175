using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>The one way every cmdlet turns the names it was given (containers, images, volumes, networks)
/// into objects. A literal name or id is looked up as it is, and one that is not found writes the engine's
/// NotFound error (ContainerNotFound, ImageNotFound, ...) without stopping the rest; a name with wildcards is
/// matched, case-insensitively, against what <see cref="MatchedBy"/> gives for each object and matching
/// nothing is no error (Get-Process does the same). Each object comes out once, in the order first named:
/// `Stop-Container web,w*` stops web once, and so does `Get-Container web, web | Stop-Container`. WildcardPattern is PowerShell's, so this lives on this side.</summary>
/// <param name="Lookup">A literal name or id to its object; throws the engine's NotFound.</param>
/// <param name="List">Every object, for a wildcard; read once per wildcard so the match is fresh.</param>
/// <param name="MatchedBy">The strings a wildcard is matched against (names; for images also the name without its tag).</param>
/// <param name="Key">The identity that de-duplicates (an id; for an image name being untagged, that name).</param>
internal sealed record NameResolver<T>(
    Func<string, T> Lookup,
    Func<IEnumerable<T>> List,
    Func<T, IEnumerable<string>> MatchedBy,
    Func<T, string> Key)
{
    /// <summary>The objects <paramref name="requested"/> names, each once. <paramref name="attempt"/> runs one
    /// engine call and reports its failure (the cmdlet's Try: a non-terminating error); false skips that name.
    /// <paramref name="seen"/> holds the keys already given; a cmdlet passes one set for its whole invocation,
    /// so `$c, $c | Stop-Container` (two pipeline records) also stops $c once.</summary>
    public IEnumerable<T> Resolve(IEnumerable<string> requested, Func<Action, bool> attempt, ISet<string>? seen = null)
    {
        seen ??= new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in requested)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                List<T> hits = new();
                if (!attempt(() => hits = List().Where(x => MatchedBy(x).Any(pattern.IsMatch)).ToList())) continue;
                foreach (var hit in hits)
                    if (seen.Add(Key(hit))) yield return hit;
            }
            else
            {
                T found = default!;
                if (attempt(() => found = Lookup(name)) && seen.Add(Key(found))) yield return found;
            }
        }
    }
}

/// <summary>The resolvers of each noun, over one engine.</summary>
internal static class NameResolvers
{
    public static NameResolver<Container> Containers(ContainerEngine engine) =>
        new(engine.GetContainer, engine.GetContainers, c => [c.Name], c => c.Id);

    /// <summary>Running containers only for wildcards (Get-ContainerStats); a literal name may name any.</summary>
    public static NameResolver<Container> RunningContainers(ContainerEngine engine) =>
        Containers(engine) with { List = () => engine.GetContainers().Where(c => c.State == ContainerState.Running) };

    /// <summary>Images by any of their names, or a name without its tag ('busy*' and 'busybox*' both find busybox:latest).</summary>
    public static NameResolver<ContainerImage> Images(ContainerEngine engine) =>
        new(engine.ResolveImage, engine.GetImages, i => i.Names.Concat(i.Names.Select(n => n.Split(':')[0])), i => i.Id);

    /// <summary>One name of an image (what Remove-ContainerImage untags), or the image itself when named by its id.
    /// A wildcard matches whole names: 'web*' untags web:1 and web:2 of one image one by one.</summary>
    public static NameResolver<ImageName> ImageNames(ContainerEngine engine) =>
        new(n => { var (image, matched) = engine.ResolveImageName(n); return new ImageName(image, matched, n); },
            () => engine.GetImages().SelectMany(i => i.Names.Select(n => new ImageName(i, n, n))),
            x => [x.Requested],
            x => x.Matched ?? x.Image.Id);

    public static NameResolver<ContainerVolume> Volumes(ContainerEngine engine) =>
        new(n => engine.GetVolume(n), () => engine.GetVolumes(), v => [v.Name], v => v.Name);

    public static NameResolver<ContainerNetwork> Networks(ContainerEngine engine) =>
        new(engine.GetNetwork, engine.GetNetworks, n => [n.Name], n => n.Name);
}

/// <summary>An image as one of its names reached it: <see cref="Matched"/> is that name (null when reached by
/// id), <see cref="Requested"/> what to hand the engine.</summary>
internal sealed record ImageName(ContainerImage Image, string? Matched, string Requested);
