namespace PodShell.Engine.Images;

/// <summary>Local image names: "name" means "name:latest", as in Podman.</summary>
public static class ImageReference
{
    public static bool HasTag(string name)
    {
        if (name.Contains('@')) return true;
        int slash = name.LastIndexOf('/');
        return name.IndexOf(':', slash + 1) >= 0;
    }

    public static string Normalize(string name) => HasTag(name) ? name : name + ":latest";

    /// <summary>The spellings a user may mean by one name: as given, with :latest, and with or without
    /// the "localhost/" prefix Podman gives to local images.</summary>
    public static IEnumerable<string> Candidates(string name)
    {
        var n = Normalize(name);
        yield return name;
        yield return n;
        if (n.StartsWith("localhost/")) yield return n["localhost/".Length..];
        else yield return "localhost/" + n;
        // A pulled image carries its full name (docker.io/library/alpine:latest); "alpine" means it too,
        // through the same search list the pull used.
        IReadOnlyList<Registry.RegistryReference> full;
        try { full = Registry.RegistryReference.Candidates(name); }
        catch (PodShellException) { yield break; }
        foreach (var r in full) yield return r.ToString();
    }

    /// <summary>[host[:port]/]path[:tag][@sha256:digest], as the distribution reference grammar has it.</summary>
    public static bool IsValid(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name,
            @"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?\z");
}
