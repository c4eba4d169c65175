using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>COPY/ADD sources follow Go's filepath.Match (Docker's documented rule): a fixed depth, and
/// <c>**</c> is just two stars there.</summary>
public sealed class PathGlobTests
{
    [Theory]
    [InlineData("*.go", "main.go", true)]
    [InlineData("*.go", "cmd/main.go", false)]
    [InlineData("**/*.go", "cmd/main.go", true)]
    [InlineData("**/*.go", "main.go", false)]
    [InlineData("**/*.go", "a/b/c.go", false)]
    [InlineData("hom?.txt", "home.txt", true)]
    [InlineData("hom?.txt", "hom/.txt", false)]
    [InlineData("[a-c]*.txt", "b1.txt", true)]
    [InlineData("[^a-c]*.txt", "b1.txt", false)]
    [InlineData("[^a-c]*.txt", "d1.txt", true)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("src/*", "src/a", true)]
    [InlineData("src/*", "src", false)]
    [InlineData("*", "", true)]
    public void Matches_like_go_filepath_match(string pattern, string name, bool match) =>
        Assert.Equal(match, PathGlob.IsMatch(pattern, name));

    [Theory]
    [InlineData("[abc")]
    [InlineData("abc\\")]
    [InlineData("x*[")]
    public void Bad_patterns_throw(string pattern) => Assert.Throws<FormatException>(() => PathGlob.IsMatch(pattern, "zzzz"));

    [Theory]
    [InlineData("*.txt", true)]
    [InlineData("file[0-9]", true)]
    [InlineData("a?", true)]
    [InlineData("plain/path.txt", false)]
    [InlineData("\\*literal", false)]
    public void Knows_wildcards(string source, bool has) => Assert.Equal(has, PathGlob.HasWildcards(source));

    private static readonly ContextEntry[] Context =
    {
        new("a.json", false), new("b.json", false), new("src", true), new("src/x.json", false),
        new("src/y", true), new("src/y/z.json", false), new("tool", false),
    };

    [Theory]
    [InlineData("*.json", "a.json,b.json")]
    [InlineData("src/*", "src/x.json,src/y")]      // src/y is copied whole, its file not listed again
    [InlineData("s*", "src")]
    [InlineData("tool", "tool")]
    [InlineData("/tool", "tool")]
    [InlineData("./src/../tool", "tool")]
    [InlineData("../tool", "tool")]              // cannot climb out of the context
    [InlineData("missing", "")]
    [InlineData("*.xml", "")]
    [InlineData(".", ".")]
    public void Resolves_sources_against_the_context(string source, string expected) =>
        Assert.Equal(expected, string.Join(",", PathGlob.Resolve(Context, source)));
}
