using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PodShell.Engine.Runtime;

namespace PodShell;

/// <summary>Completes signal names for -Signal and -StopSignal: 'TE' and 'SIGTE' both give SIGTERM, and the
/// tooltip shows the number. The names are the ones Signals.Parse accepts (Conventions.Tests checks each).</summary>
public sealed class SignalNameCompleter : IArgumentCompleter
{
    internal static readonly string[] Names =
    [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS", "SIGRTMIN", "SIGRTMAX",
    ];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var w = (wordToComplete ?? "").Trim('\'', '"');
        if (w.StartsWith("SIG", StringComparison.OrdinalIgnoreCase)) w = w[3..];
        return Names
            .Where(n => n[3..].StartsWith(w, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"{n} ({Signals.Parse(n)})"))
            .ToList();
    }
}

/// <summary>Completes capability names for -CapAdd and -CapDrop from the kernel's list: 'net_r' gives
/// NET_RAW (podman's short form), 'CAP_NET_R' gives CAP_NET_RAW; ALL is offered too.</summary>
public sealed class CapabilityNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var w = (wordToComplete ?? "").Trim('\'', '"');
        var full = w.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase);
        var names = PodShell.Engine.Runtime.Spec.CapabilitySet.All.Select(c => full ? c : c[4..]).Append("ALL");
        return names
            .Where(n => n.StartsWith(w, StringComparison.OrdinalIgnoreCase))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
            .ToList();
    }
}
