namespace PodShell.Engine.Containers;

/// <summary>Docker/Podman-style adjective_noun names for containers created without -Name.</summary>
public static class NameGenerator
{
    private static readonly string[] Adjectives =
    {
        "brave", "calm", "eager", "fervent", "gentle", "happy", "jolly", "keen", "lucid", "modest",
        "nifty", "quirky", "serene", "sharp", "stoic", "tender", "upbeat", "vibrant", "wizardly", "zealous",
    };
    private static readonly string[] Nouns =
    {
        "babbage", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace", "morse",
        "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "torvalds", "turing", "wozniak",
    };

    public static string Next() =>
        $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}_{Nouns[Random.Shared.Next(Nouns.Length)]}";

    /// <summary>At most 253 characters: a container's name is a host name in its /etc/hosts and, on a DNS network,
    /// in aardvark-dns, and a DNS name has at most 253 characters (RFC 1035). Podman sets no bound; 5000-character
    /// names only made records nobody could type.</summary>
    public const int MaxLength = 253;

    /// <summary>Names follow Podman's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most <see cref="MaxLength"/> characters.</summary>
    public static bool IsValid(string name) =>
        name.Length <= MaxLength && System.Text.RegularExpressions.Regex.IsMatch(name, @"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\z");
}
