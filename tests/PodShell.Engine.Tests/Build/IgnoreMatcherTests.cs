using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>.dockerignore semantics from Docker's documentation ("Dockerfile reference, .dockerignore file")
/// and a real walk of a context directory.</summary>
public sealed class IgnoreMatcherTests
{
    private static IgnoreMatcher M(params string[] lines) => IgnoreMatcher.Parse(string.Join("\n", lines));

    public static TheoryData<string, string, bool> DocumentedExamples => new()
    {
        // patterns ('|'-separated lines), path, excluded
        { "# comment|*/temp*", "somedir/temporary.txt", true },
        { "*/temp*", "somedir/temp", true },
        { "*/temp*", "temp.txt", false },
        { "*/temp*", "a/b/temp", false },
        { "*/*/temp*", "somedir/subdir/temporary.txt", true },
        { "*/*/temp*", "somedir/temporary.txt", false },
        { "temp?", "tempa", true },
        { "temp?", "tempb", true },
        { "temp?", "temp", false },
        { "temp?", "tempab", false },
        { "temp?", "x/tempa", false },
        { "**/*.go", "main.go", true },
        { "**/*.go", "cmd/app/main.go", true },
        { "**/*.go", "main.go.txt", false },
        { "*.md|!README.md", "README.md", false },
        { "*.md|!README.md", "CHANGES.md", true },
        { "*.md|!README*.md|README-secret.md", "README-secret.md", true },
        { "*.md|!README*.md|README-secret.md", "README-public.md", false },
        { "*.md|!README*.md|README-secret.md", "NOTES.md", true },
        { "*.md|README-secret.md|!README*.md", "README-secret.md", false },
        { "/build", "build/out.o", true },
        { "./build/", "build", true },
        { "build/../dist", "dist/app.js", true },
        { "node_modules", "node_modules/lodash/index.js", true },
        { "node_modules", "src/node_modules", false },
        { "**/node_modules", "src/node_modules/x.js", true },
        { "a/**", "a/x/y", true },
        { "a/**", "a", false },
        { "\\*.txt", "*.txt", true },
        { "\\*.txt", "a.txt", false },
        { "[a-c].log", "b.log", true },
        { "[^a-c].log", "b.log", false },
        { "  *.tmp  ", "x.tmp", true },
        { "*|!src|src/*.bak", "src/main.c", false },
        { "*|!src|src/*.bak", "src/old.bak", true },
        { "*|!src|src/*.bak", "README", true },
        { "", "anything", false },
    };

    [Theory]
    [MemberData(nameof(DocumentedExamples))]
    public void Matches_as_docker_documents(string patterns, string path, bool excluded) =>
        Assert.Equal(excluded, M(patterns.Split('|')).IsExcluded(path, isDirectory: false));

    [Fact]
    public void Patterns_are_cleaned_and_exceptions_flagged()
    {
        var m = M("# comment", "", "/secrets/", "!./secrets/public.key", "  logs//*.log ");
        Assert.Equal(new[] { ("secrets", false), ("secrets/public.key", true), ("logs/*.log", false) },
            m.Patterns.Select(p => (p.Pattern, p.IsException)));
        Assert.Equal("a/c", IgnorePattern.Clean("./a/b/../c/"));
        Assert.Equal("..", IgnorePattern.Clean("a/../.."));
        Assert.Equal(".", IgnorePattern.Clean(""));
    }

    [Fact]
    public void An_exception_inside_an_excluded_directory_makes_the_walker_descend()
    {
        var m = M("build", "!build/keep.txt", "cache", "!*/README");
        Assert.True(m.IsExcluded("build", isDirectory: true));
        Assert.True(m.MayIncludeBeneath("build"));
        Assert.False(m.IsExcluded("build/keep.txt", isDirectory: false));
        Assert.True(m.IsExcluded("build/other.txt", isDirectory: false));
        Assert.True(m.MayIncludeBeneath("cache"));       // "!*/README" could match cache/README
        Assert.False(m.MayIncludeBeneath("cache/deep")); // but nothing two levels down
        Assert.False(M("build").MayIncludeBeneath("build"));
        Assert.True(M("x", "!**/keep").MayIncludeBeneath("x/y/z"));
    }

    [Theory]
    [InlineData("!")]
    [InlineData("[abc")]
    [InlineData("trailing\\")]
    public void Bad_lines_are_syntax_errors_with_their_line(string bad)
    {
        var e = Assert.Throws<PodShellException>(() => IgnoreMatcher.Parse("ok\n" + bad + "\n", "ctx/.dockerignore"));
        Assert.Equal("ContainerfileSyntaxError", e.ErrorId);
        Assert.StartsWith("ctx/.dockerignore:2: ", e.Message);
    }

    [Fact]
    public void Lists_the_context_a_build_sends()
    {
        var root = Directory.CreateTempSubdirectory("podshell-ctx-").FullName;
        try
        {
            foreach (var f in new[] { "Containerfile", "main.go", "README.md", "NOTES.md", "build/out.o", "build/keep.txt",
                                      "src/app.go", "src/app_test.go", "src/tmp/x", ".git/HEAD" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, f))!);
                File.WriteAllText(Path.Combine(root, f), f);
            }
            Directory.CreateDirectory(Path.Combine(root, "empty"));
            File.CreateSymbolicLink(Path.Combine(root, "link"), "/etc");
            File.WriteAllText(Path.Combine(root, ".containerignore"), ".git\n*.md\n!README.md\nbuild\n!build/keep.txt\n**/*_test.go\nsrc/tmp\n");
            File.WriteAllText(Path.Combine(root, ".dockerignore"), "*\n"); // .containerignore wins
            var m = IgnoreMatcher.Load(root);
            var listed = m.ListContext(root).Select(e => e.IsDirectory ? e.RelativePath + "/" : e.RelativePath).ToArray();
            Assert.Equal(new[] { ".containerignore", ".dockerignore", "Containerfile", "README.md", "build/keep.txt", "empty/",
                                 "link", "main.go", "src/", "src/app.go" }, listed);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void A_context_without_ignore_file_sends_everything()
    {
        var root = Directory.CreateTempSubdirectory("podshell-ctx-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "a"), "a");
            Assert.Same(IgnoreMatcher.Empty, IgnoreMatcher.Load(root));
            Assert.Equal(new[] { new ContextEntry("a", false) }, IgnoreMatcher.Empty.ListContext(root));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
