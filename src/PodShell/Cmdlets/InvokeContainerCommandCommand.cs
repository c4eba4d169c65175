using System.Collections;
using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Runtime;

namespace PodShell;

/// <summary>Runs a process inside a running container (podman exec). stdout comes out as strings,
/// stderr goes to the error stream, and the exit code is in $LASTEXITCODE. Strings piped in become
/// its standard input; -Detach starts it under its own conmon and returns at once.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ContainerCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
[OutputType(typeof(DetachedExec))]
public sealed class InvokeContainerCommandCommand : PodShellCmdlet
{
    private readonly List<string> _stdin = new();
    private string? _stdinContainer;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "ContainerName")]
    [ContainerTransformation]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Container { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromRemainingArguments = true)]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = Array.Empty<string>();

    /// <summary>Lines for the process's standard input. Objects that name a container (they have a
    /// Name or ContainerName property, like Container objects) bind to -Container instead.</summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowNull, AllowEmptyString]
    public object? InputObject { get; set; }

    [Parameter]
    [Alias("Env")]
    public Hashtable? Environment { get; set; }

    [Parameter]
    [Alias("Workdir")]
    public string? WorkingDirectory { get; set; }

    /// <summary>uid[:gid] or a user name known in the container.</summary>
    [Parameter]
    public string? User { get; set; }

    /// <summary>Start the process and return at once (podman exec -d).</summary>
    [Parameter]
    [Alias("d")]
    public SwitchParameter Detach { get; set; }

    private Dictionary<string, string>? Env =>
        Environment?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "");

    protected override void ProcessRecord()
    {
        if (InputObject != null && !NamesAContainer(InputObject))
        {
            // stdin is collected and the process run once, in EndProcessing, like a native command.
            _stdin.Add(LanguagePrimitives.ConvertTo<string>(InputObject) ?? "");
            _stdinContainer = Container;
            return;
        }
        Run(Container, null);
    }

    protected override void EndProcessing()
    {
        if (_stdinContainer != null) Run(_stdinContainer, _stdin);
    }

    private static bool NamesAContainer(object input)
    {
        var ps = input as PSObject ?? PSObject.AsPSObject(input);
        var b = ps.BaseObject;
        if (b is string || b.GetType().IsPrimitive) return false;
        if (b is Container) return true;
        return ps.Properties["Name"] != null || ps.Properties["ContainerName"] != null;
    }

    private void Run(string container, List<string>? stdin)
    {
        if (!ShouldProcess(container, $"Run '{string.Join(' ', Command)}'")) return;
        Try(() =>
        {
            if (Detach)
            {
                if (stdin != null)
                    throw new PodShellException(ErrorIds.DetachWithInput, FailureKind.InvalidArgument,
                        "A detached command has no standard input; do not pipe strings to Invoke-ContainerCommand -Detach.", container);
                WriteObject(Engine.ExecDetached(container, Command, Env, WorkingDirectory, User, CancellationToken));
                return;
            }
            using var session = Engine.Exec(container, Command, Env, WorkingDirectory, User, stdin);
            foreach (var o in session.ReadOutput(CancellationToken))
            {
                if (o.IsError)
                    NativeStderr.Write(this, new ErrorRecord(new RemoteException(o.Line), ErrorIds.ContainerCommandStderr, ErrorCategory.FromStdErr, container));
                else
                    WriteObject(o.Line);
            }
            int code = session.ExitCode ?? -1;
            SessionState.PSVariable.Set("global:LASTEXITCODE", code);
            if (code != 0)
                throw new PodShellException(ErrorIds.ContainerCommandFailed, FailureKind.RuntimeFailed,
                    $"'{string.Join(' ', Command)}' exited with code {code} in container '{container}'.", container);
        });
    }
}
