using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>Creates and starts a container in one step (podman run). Attached (the default), it writes the
/// container's stdout as strings and its stderr to the error stream until it exits, and sets $LASTEXITCODE;
/// with -Detach it returns the running container at once (podman run -d).</summary>
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
        // -AutoRemove is recorded, so whoever sees the exit first removes the container, also when this pwsh is
        // killed. Attached, this process holds it until the output is read (removed at the first look, a fast
        // container would take its log with it), then removes it itself or hands it over (ReleaseAutoRemove).
        bool attachedRemove = options.AutoRemove && !Detach;
        Try(() =>
        {
            var created = Engine.CreateContainer(options, CancellationToken);
            Container started;
            try
            {
                started = Engine.StartContainer(created.Id, CancellationToken, attached: attachedRemove);
            }
            catch (PodShellException) when (options.AutoRemove)
            {
                // podman run --rm leaves nothing behind even when the start fails.
                try { Engine.RemoveContainer(created.Id, force: true); } catch (PodShellException) { }
                throw;
            }
            if (Detach)
            {
                WriteObject(started);
                return;
            }
            try
            {
                try
                {
                    foreach (var entry in Engine.GetLogs(started.Id, follow: true, ct: CancellationToken))
                    {
                        // Under -ErrorAction Stop this throws: the finally below still lets go of the container.
                        if (entry.Stream == "stderr")
                            WriteError(new ErrorRecord(new RemoteException(entry.Line), "ContainerStderr", ErrorCategory.FromStdErr, started.Name));
                        else
                            WriteObject(entry.Line);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C reaches the container as podman's sig-proxy would pass it on; the container
                    // decides what to do with it (and, with -AutoRemove, is removed when it exits).
                    try { Engine.KillContainer(started.Id, 2); } catch (PodShellException) { }
                    throw;
                }
                int code = Engine.WaitContainer(started.Id, null, CancellationToken);
                SessionState.PSVariable.Set("global:LASTEXITCODE", code);
                if (code != 0)
                    throw new PodShellException("ContainerFailed", FailureKind.RuntimeFailed,
                        $"Container '{started.Name}' exited with code {code}.", started.Name);
            }
            finally
            {
                // The fast path of -AutoRemove; idempotent with the removal by another process's fold.
                if (attachedRemove)
                    try { Engine.ReleaseAutoRemove(started.Id); } catch (PodShellException) { }
            }
        });
    }
}
