using System.Collections;
using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>Runs a process inside a running container (podman exec). stdout comes out as strings,
/// stderr goes to the error stream, and the exit code is in $LASTEXITCODE.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ContainerCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
public sealed class InvokeContainerCommandCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "ContainerName")]
    [ContainerTransformation]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Container { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromRemainingArguments = true)]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = Array.Empty<string>();

    [Parameter]
    [Alias("Env")]
    public Hashtable? Environment { get; set; }

    [Parameter]
    [Alias("Workdir")]
    public string? WorkingDirectory { get; set; }

    /// <summary>uid[:gid] or a user name known in the container.</summary>
    [Parameter]
    public string? User { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Container, $"Run '{string.Join(' ', Command)}'")) return;
        Try(() =>
        {
            var env = Environment?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");
            using var session = Engine.Exec(Container, Command, env, WorkingDirectory, User);
            foreach (var o in session.ReadOutput(CancellationToken))
            {
                if (o.IsError)
                    WriteError(new ErrorRecord(new RemoteException(o.Line), "ContainerCommandStderr", ErrorCategory.FromStdErr, Container));
                else
                    WriteObject(o.Line);
            }
            int code = session.ExitCode ?? -1;
            SessionState.PSVariable.Set("global:LASTEXITCODE", code);
            if (code != 0)
                throw new PodShellException("ContainerCommandFailed", FailureKind.RuntimeFailed,
                    $"'{string.Join(' ', Command)}' exited with code {code} in container '{Container}'.", Container);
        });
    }
}
