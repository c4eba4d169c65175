using System.Collections;
using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Runtime;

namespace PodShell;

/// <summary>An interactive shell in a running container (podman exec -it): a pty created by the
/// runtime and held by conmon, reached through conmon's attach socket. The local terminal is in raw
/// mode until the shell exits (Ctrl+D or exit); window resizes follow. The exit code goes to $LASTEXITCODE.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Cmdlet(VerbsCommon.Enter, "Container", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class EnterContainerCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "ContainerName")]
    [ContainerTransformation]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Container { get; set; } = "";

    /// <summary>The program to run; a shell (sh) when omitted.</summary>
    [Parameter(Position = 1, ValueFromRemainingArguments = true)]
    public string[] Command { get; set; } = Array.Empty<string>();

    [Parameter]
    [Alias("Env")]
    public Hashtable? Environment { get; set; }

    [Parameter]
    [Alias("Workdir")]
    public string? WorkingDirectory { get; set; }

    [Parameter]
    public string? User { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Container, $"Open an interactive '{(Command.Length > 0 ? string.Join(' ', Command) : "sh")}' session")) return;
        Try(() =>
        {
            if (!ConsoleRelay.IsTerminal(ConsoleRelay.StdinFd))
                throw new PodShellException(ErrorIds.NotATerminal, FailureKind.InvalidState,
                    "Enter-Container needs an interactive terminal; use Invoke-ContainerCommand in scripts.", Container);
            var command = Command.Length > 0 ? Command : new[] { "sh" };
            var env = Environment?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");
            var size = ConsoleRelay.WindowSize(ConsoleRelay.StdoutFd) ?? ConsoleRelay.WindowSize(ConsoleRelay.StdinFd);
            using var session = Engine.ExecInteractive(Container, command, env, WorkingDirectory, User, size, CancellationToken);
            int code = ConsoleRelay.Run(session, CancellationToken);
            SessionState.PSVariable.Set("global:LASTEXITCODE", code);
        });
    }
}
