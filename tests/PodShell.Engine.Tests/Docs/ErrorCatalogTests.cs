using System.Text.RegularExpressions;
using Xunit;

namespace PodShell.Engine.Tests.Docs;

/// <summary>Every ErrorId the engine or a cmdlet can raise is listed in docs/errors.md (issue 15 item 7).
/// The ids are found in the source, not in a hand-kept list, so an id another change adds is caught too:
/// <list type="number">
/// <item><c>PodShellException("Id"</c>, also split over lines, and both ids of a ternary
/// <c>PodShellException(x ? "A" : "B"</c>;</item>
/// <item><c>new("Id", ... FailureKind.</c> (target-typed construction: the second argument names a FailureKind);</item>
/// <item><c>"Id", ErrorCategory.</c> (ErrorRecords a cmdlet writes itself);</item>
/// <item>helpers that pass their first string parameter on as the id
/// (<c>static PodShellException Invalid(string id, ...) =&gt; new(id, ...)</c>): every call with a literal
/// first argument, <c>Invalid("Id", ...)</c>.</item>
/// </list>
/// A new way of raising errors needs a rule here; the test checks itself on known sites.</summary>
public sealed partial class ErrorCatalogTests
{
    private const string Id = "[A-Z][A-Za-z0-9]+";

    [GeneratedRegex(@"PodShellException\(\s*""(" + Id + @")""")]
    private static partial Regex Direct();
    [GeneratedRegex(@"PodShellException\(\s*[^;]*?\?\s*""(" + Id + @")""\s*:\s*""(" + Id + @")""")]
    private static partial Regex Ternary();
    [GeneratedRegex(@"\bnew\(\s*""(" + Id + @")""\s*,[^,;]*FailureKind\.")]
    private static partial Regex TargetTyped();
    [GeneratedRegex(@"""(" + Id + @")""\s*,\s*ErrorCategory\.")]
    private static partial Regex Record();
    [GeneratedRegex(@"(\w+)\(\s*string\s+(\w+)\s*,[^)]*\)\s*=>\s*new(?:\s+PodShellException)?\(\s*(\w+)\s*,")]
    private static partial Regex Helper();
    // The first cell of a table row; a row may list several ids separated by commas.
    [GeneratedRegex(@"^\|\s*([A-Z][A-Za-z0-9, ]*?)\s*\|", RegexOptions.Multiline)]
    private static partial Regex CatalogRow();

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "errors.md")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                return dir.FullName;
        throw new InvalidOperationException("The repository root (docs/errors.md) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>ErrorId -> first file that raises it.</summary>
    internal static Dictionary<string, string> RaisedIds(string root)
    {
        var files = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string id, string file) => ids.TryAdd(id, file);
        var helpers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, text) in files)
        {
            foreach (Match m in Direct().Matches(text)) Add(m.Groups[1].Value, file);
            foreach (Match m in Ternary().Matches(text)) { Add(m.Groups[1].Value, file); Add(m.Groups[2].Value, file); }
            foreach (Match m in TargetTyped().Matches(text)) Add(m.Groups[1].Value, file);
            foreach (Match m in Record().Matches(text)) Add(m.Groups[1].Value, file);
            foreach (Match m in Helper().Matches(text))
                if (m.Groups[2].Value == m.Groups[3].Value) helpers.Add(m.Groups[1].Value);
        }
        foreach (var name in helpers)
        {
            var call = new Regex(@"\b" + name + @"\(\s*""(" + Id + @")""");
            foreach (var (file, text) in files)
                foreach (Match m in call.Matches(text)) Add(m.Groups[1].Value, file);
        }
        return ids;
    }

    /// <summary>The ids declared in ErrorIds.cs, the one place they live (issue 16).</summary>
    internal static HashSet<string> DeclaredIds(string root) =>
        Regex.Matches(File.ReadAllText(Path.Combine(root, "src", "PodShell.Engine", "Model", "ErrorIds.cs")),
                @"public const string (\w+) = nameof\((\w+)\);")
            .Where(m => m.Groups[1].Value == m.Groups[2].Value)
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void No_ErrorId_is_spelt_as_a_bare_string()
    {
        var literal = RaisedIds(RepoRoot());
        Assert.True(literal.Count == 0, $"{literal.Count} ErrorIds are bare strings; use ErrorIds.<Id>:\n" +
            string.Join("\n", literal.Select(kv => $"{kv.Key} ({kv.Value})")));
    }

    [Fact]
    public void ErrorIds_declares_the_known_ids_each_by_its_own_name()
    {
        var ids = DeclaredIds(RepoRoot());
        Assert.Contains("ContainerNotFound", ids);
        Assert.Contains("NetworkTeardownFailed", ids);
        Assert.Contains("ContainerStderr", ids);
        Assert.Equal("ContainerNotFound", ErrorIds.ContainerNotFound);
        Assert.True(ids.Count > 150, $"only {ids.Count} ids declared");
    }

    /// <summary>The literal scan still recognises every way an id was once raised, so a bare string sneaking back
    /// in is caught (checked on known text, not on the tree, which has none left).</summary>
    [Fact]
    public void The_scan_finds_ids_raised_in_each_known_way()
    {
        var dir = Directory.CreateTempSubdirectory("errcat-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "src"));
            File.WriteAllText(Path.Combine(dir.FullName, "src", "Sample.cs"), """
                class S {
                    void A() => throw new PodShellException("ContainerNotFound", FailureKind.NotFound, "m");
                    void B(bool x) => throw new PodShellException(x ? "NetworkSetupFailed" : "NetworkTeardownFailed", FailureKind.RuntimeFailed, "m");
                    PodShellException C() => new("OverlayUnmountFailed", FailureKind.RuntimeFailed, "m");
                    void D() => WriteError(new ErrorRecord(e, "ContainerStderr", ErrorCategory.FromStdErr, null));
                    static PodShellException Invalid(string id, string m) => new(id, FailureKind.InvalidArgument, m);
                    void E() => throw Invalid("InvalidNetworkMode", "m");
                }
                """);
            var ids = RaisedIds(dir.FullName);
        // One known site per rule: a scan that silently lost a rule would pass the catalog test vacuously.
        Assert.Contains("ContainerNotFound", ids.Keys);      // PodShellException("Id"
        Assert.Contains("NetworkTeardownFailed", ids.Keys);  // ternary
        Assert.Contains("OverlayUnmountFailed", ids.Keys);   // new("Id", kind expression
        Assert.Contains("ContainerStderr", ids.Keys);        // ErrorRecord in a cmdlet
        Assert.Contains("InvalidNetworkMode", ids.Keys);     // Invalid("Id", ...) helper
        Assert.Contains("NetworkSetupFailed", ids.Keys);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Every_raised_ErrorId_is_listed_in_docs_errors_md()
    {
        var root = RepoRoot();
        var listed = CatalogRow().Matches(File.ReadAllText(Path.Combine(root, "docs", "errors.md")))
            .SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        var missing = DeclaredIds(root).Where(id => !listed.Contains(id)).OrderBy(id => id, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} ErrorIds are raised but not in docs/errors.md:\n" + string.Join("\n", missing));
    }
}
