using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Containers;

namespace PodShell;

/// <summary>Creates and starts a container in one step (podman run); the engine's ContainerRun does the work.
/// Attached (the default), it writes the container's stdout as strings and its stderr to the error stream as
/// a native command's (never terminating) until it exits, and sets $LASTEXITCODE; with -Detach it returns the
/// running container at once (podman run -d).</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Container", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[Alias("Run-Container")]
[OutputType(typeof(string), typeof(Container))]
public sealed class InvokeContainerCommand : ContainerCreationCmdlet
{
    /// <summary>Start the container and return it at once instead of waiting for it (podman run -d).</summary>
    [Parameter]
    [Alias("d")]
    public SwitchParameter Detach { get; set; }

    protected override void ProcessRecord()
    {
        var options = BuildOptions();
        if (options is null) return;
        if (!ShouldProcess(Name ?? Image, $"Run a container from image '{Image}'")) return;
        Try(() =>
        {
            if (Detach)
            {
                WriteObject(ContainerRun.StartDetached(Engine, options, CancellationToken));
                return;
            }
            // Disposing lets go of an -AutoRemove container, also when Ctrl+C or an error ends the run.
            using var run = ContainerRun.StartAttached(Engine, options, CancellationToken);
            var name = run.Container.Name;
            foreach (var o in run.Output(CancellationToken))
            {
                // stderr as a native command's: in the error stream, but never terminating (NativeStderr).
                if (o.Stream == RunStream.Stderr) NativeStderr.Write(this, new ErrorRecord(new RemoteException(o.Line), ErrorIds.ContainerStderr, ErrorCategory.FromStdErr, name));
                else WriteObject(o.Line);
            }
            int code = run.Wait(CancellationToken);
            SessionState.PSVariable.Set("global:LASTEXITCODE", code);
            if (code != 0)
                throw new PodShellException(ErrorIds.ContainerFailed, FailureKind.RuntimeFailed,
                    $"Container '{name}' exited with code {code}.", name);
        });
    }
}
