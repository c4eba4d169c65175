using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PodShell.Engine;
using PodShell.Engine.Containers;

namespace PodShell;

/// <summary>Completes container names from the store only: fast, no cgroup or runtime calls, and no
/// store is created where none exists.</summary>
public sealed class ContainerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var store = CompletionStore.Open();
        if (store is null) return Array.Empty<CompletionResult>();
        var pattern = CompletionStore.Pattern(wordToComplete);
        return store.ListContainers()
            .Select(r => r.Container)
            .Where(c => pattern.IsMatch(c.Name))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(CompletionStore.Quote(c.Name), c.Name, CompletionResultType.ParameterValue,
                $"{c.Name} ({c.State}, {c.Image})"))
            .ToList();
    }
}

/// <summary>Completes image names from the store only.</summary>
public sealed class ImageNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var store = CompletionStore.Open();
        if (store is null) return Array.Empty<CompletionResult>();
        var pattern = CompletionStore.Pattern(wordToComplete);
        return store.ListImages()
            .SelectMany(i => i.Names.Select(n => (Name: n, Image: i)))
            .Where(x => pattern.IsMatch(x.Name))
            .OrderBy(x => x.Name, StringComparer.OrdinalIgnoreCase)
            .Select(x => new CompletionResult(CompletionStore.Quote(x.Name), x.Name, CompletionResultType.ParameterValue,
                $"{x.Name} ({x.Image.Id[..12]})"))
            .ToList();
    }
}

internal static class CompletionStore
{
    public static StateStore? Open()
    {
        try
        {
            var db = Path.Combine(EngineOptions.FromEnvironment().GraphRoot, "podshell.db");
            return File.Exists(db) ? new StateStore(db) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            return null;
        }
    }

    public static WildcardPattern Pattern(string word)
    {
        var w = (word ?? "").Trim('\'', '"');
        return WildcardPattern.Get(w + "*", WildcardOptions.IgnoreCase);
    }

    public static string Quote(string s) => s.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', '(', ')', '{', '}', ';', ',' }) >= 0 ? $"'{s.Replace("'", "''")}'" : s;
}
