namespace PodShell.Engine.Containers;

/// <summary>Which of the container's streams a line came from.</summary>
public enum RunStream
{
    Stdout,
    Stderr,
}

/// <summary>One line the container wrote, as it came.</summary>
public readonly record struct RunOutput(RunStream Stream, string Line);

/// <summary>podman run's orchestration, for any caller (Invoke-Container is one): create and start a container,
/// then, attached, stream its output as it comes, wait for its exit code, and let go of it. Calls only the
/// facade's public methods: it sits above the facade (cmdlets make it), so it is a caller of the engine, not a part.
///
/// The order matters for -AutoRemove (podman run --rm): the removal is recorded, so whoever sees the exit first
/// removes the container, also when this process is killed. An attached run holds the container (StartContainer
/// attached) until its output has been read, since removal at the first look would take a fast container's log
/// with it; <see cref="Dispose"/> lets go, and the removal happens then (here, or in whichever process folds
/// the exit). A failed start of an -AutoRemove container leaves nothing behind either.
///
/// Cancellation while attached (Ctrl+C) reaches the container as SIGINT, as podman's sig-proxy passes it on:
/// the container decides what to do with it, and with -AutoRemove it is removed when it exits.</summary>
public sealed class ContainerRun : IDisposable
{
    /// <summary>The signal a cancelled attached run passes on (SIGINT, what Ctrl+C would send a foreground process).</summary>
    public const int InterruptSignal = 2;

    private readonly ContainerEngine _engine;
    private readonly bool _holdsAutoRemove;
    private bool _disposed;

    private ContainerRun(ContainerEngine engine, Container started, bool holdsAutoRemove)
    {
        _engine = engine;
        Container = started;
        _holdsAutoRemove = holdsAutoRemove;
    }

    /// <summary>The container as it was right after its start.</summary>
    public Container Container { get; }

    /// <summary>Creates and starts the container and returns it running (podman run -d).</summary>
    public static Container StartDetached(ContainerEngine engine, CreateOptions options, CancellationToken ct = default) =>
        CreateAndStart(engine, options, attached: false, ct);

    /// <summary>Creates and starts the container for an attached run: read <see cref="Output"/>, then
    /// <see cref="Wait"/>, and dispose the run in every case.</summary>
    public static ContainerRun StartAttached(ContainerEngine engine, CreateOptions options, CancellationToken ct = default)
    {
        var started = CreateAndStart(engine, options, attached: options.AutoRemove, ct);
        return new ContainerRun(engine, started, options.AutoRemove);
    }

    private static Container CreateAndStart(ContainerEngine engine, CreateOptions options, bool attached, CancellationToken ct)
    {
        var created = engine.CreateContainer(options, ct);
        try
        {
            return engine.StartContainer(created.Id, ct, attached);
        }
        catch (PodShellException) when (options.AutoRemove)
        {
            // podman run --rm leaves nothing behind even when the start fails.
            try { engine.RemoveContainer(created.Id, force: true); } catch (PodShellException) { }
            throw;
        }
    }

    /// <summary>The container's stdout and stderr lines as they come, until it exits. Cancelling the token
    /// interrupts the container (<see cref="InterruptSignal"/>) and ends the enumeration with
    /// OperationCanceledException.</summary>
    public IEnumerable<RunOutput> Output(CancellationToken ct = default)
    {
        using var logs = _engine.GetLogs(Container.Id, follow: true, ct: ct).GetEnumerator();
        while (true)
        {
            ContainerLogEntry entry;
            try
            {
                if (!logs.MoveNext()) break;
                entry = logs.Current;
            }
            catch (OperationCanceledException)
            {
                Interrupt();
                throw;
            }
            yield return new RunOutput(entry.Stream == "stderr" ? RunStream.Stderr : RunStream.Stdout, entry.Line);
        }
    }

    /// <summary>The container's exit code, once it has exited. Cancelling interrupts the container as
    /// <see cref="Output"/> does.</summary>
    public int Wait(CancellationToken ct = default)
    {
        try
        {
            return _engine.WaitContainer(Container.Id, null, ct);
        }
        catch (OperationCanceledException)
        {
            Interrupt();
            throw;
        }
    }

    private void Interrupt()
    {
        try { _engine.KillContainer(Container.Id, InterruptSignal); } catch (PodShellException) { }
    }

    /// <summary>Lets go of the container: with -AutoRemove it is removed now if it has exited (idempotent with
    /// the removal by another process's fold of the exit), else when it exits.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_holdsAutoRemove)
            try { _engine.ReleaseAutoRemove(Container.Id); } catch (PodShellException) { }
    }
}
