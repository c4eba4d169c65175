using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PodShell.Engine.Network;

namespace PodShell;

/// <summary>Completes network names from the store, plus the fixed modes for -Network.</summary>
public sealed class NetworkNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = CompletionStore.Pattern(wordToComplete);
        var names = new List<(string Name, string Tip)>();
        if (parameterName == "Network")
            names.AddRange(new[] { ("bridge", "the default network"), ("none", "only a loopback interface"), ("host", "the host's network stack") });
        var state = CompletionStore.Open();
        if (state != null)
        {
            try
            {
                names.AddRange(new NetworkStore(state).List().Select(n => (n.Name, $"{n.Name} ({n.Subnet})")));
            }
            catch (Microsoft.Data.Sqlite.SqliteException) { }
        }
        return names.Where(n => pattern.IsMatch(n.Name)).DistinctBy(n => n.Name)
            .Select(n => new CompletionResult(CompletionStore.Quote(n.Name), n.Name, CompletionResultType.ParameterValue, n.Tip))
            .ToList();
    }
}
