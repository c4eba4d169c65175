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

    /// <summary>Names follow Podman's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*.</summary>
    public static bool IsValid(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, @"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\z");
}
