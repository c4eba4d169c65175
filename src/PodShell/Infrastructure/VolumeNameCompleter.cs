using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PodShell.Engine;
using PodShell.Engine.Containers;

namespace PodShell;

/// <summary>Completes volume names from the store only (no size walk, no runtime calls).</summary>
public sealed class VolumeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var state = CompletionStore.Open();
        if (state is null) return Array.Empty<CompletionResult>();
        try
        {
            var pattern = CompletionStore.Pattern(wordToComplete);
            var root = Path.Combine(EngineOptions.FromEnvironment().GraphRoot, "volumes");
            return new VolumeStore(state, root).List()
                .Where(v => pattern.IsMatch(v.Name))
                .OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase)
                .Select(v => new CompletionResult(CompletionStore.Quote(v.Name), v.Name, CompletionResultType.ParameterValue,
                    v.UsedBy.Length == 0 ? $"{v.Name} (unused)" : $"{v.Name} (used by {string.Join(", ", v.UsedBy)})"))
                .ToList();
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
