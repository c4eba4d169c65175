using PodShell.Engine.Build;
using PodShell.Engine.Tests.Docs;

namespace PodShell.Engine.Tests.Build;

/// <summary>The Containerfiles under Build/Fixtures, read from the repository (not copied to the output) so a
/// fixture is edited in one place.</summary>
internal static class Fixtures
{
    public static string Directory => Path.Combine(ErrorCatalogTests.RepoRoot(), "tests", "PodShell.Engine.Tests", "Build", "Fixtures");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    public static Containerfile Parse(string name) => ContainerfileParser.ParseFile(PathOf(name + ".Containerfile"));

    /// <summary>"name:KW,KW | -:KW" — each stage's name ("-" when unnamed) and its keywords after FROM.</summary>
    public static string Shape(Containerfile file) =>
        string.Join(" | ", file.Stages.Select(s => (s.Name ?? "-") + ":" + string.Join(",", s.Instructions.Select(i => i.Keyword))));
}
