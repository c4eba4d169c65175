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

    [Fact]
    public void The_scan_finds_ids_raised_in_each_known_way()
    {
        var ids = RaisedIds(RepoRoot());
        // One known site per rule: a scan that silently lost a rule would pass the catalog test vacuously.
        Assert.Contains("ContainerNotFound", ids.Keys);      // PodShellException("Id"
        Assert.Contains("NetworkTeardownFailed", ids.Keys);  // ternary
        Assert.Contains("OverlayUnmountFailed", ids.Keys);   // new("Id", kind expression
        Assert.Contains("ContainerStderr", ids.Keys);        // ErrorRecord in a cmdlet
        Assert.Contains("InvalidNetworkMode", ids.Keys);     // Invalid("Id", ...) helper
        Assert.True(ids.Count > 150, $"only {ids.Count} ids found");
    }

    [Fact]
    public void Every_raised_ErrorId_is_listed_in_docs_errors_md()
    {
        var root = RepoRoot();
        var listed = CatalogRow().Matches(File.ReadAllText(Path.Combine(root, "docs", "errors.md")))
            .SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        var missing = RaisedIds(root).Where(kv => !listed.Contains(kv.Key))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} ({kv.Value})").ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} ErrorIds are raised but not in docs/errors.md:\n" + string.Join("\n", missing));
    }
}
