using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Diagnostics;

namespace PodShell;

/// <summary>Base of every PodShell cmdlet: the engine for the current roots, Ctrl+C through
/// StopProcessing (PowerShellStandard has no PipelineStopToken), and engine failures turned into
/// ErrorRecords with a stable ErrorId, a category and the target.</summary>
public abstract class PodShellCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _cts = new();
    private ContainerEngine? _engine;
    private bool? _debugRequested;
    private ConcurrentQueue<PhaseRecord>? _phases;

    protected CancellationToken CancellationToken => _cts.Token;

    /// <summary>The keys (ids, names) of the objects this invocation has resolved from names, across all its
    /// pipeline records: NameResolver gives each object once per invocation.</summary>
    internal HashSet<string> Resolved { get; } = new(StringComparer.Ordinal);

    protected ContainerEngine Engine
    {
        get
        {
            if (_engine is null)
            {
                _engine = ContainerEngine.FromEnvironment();
            }
            return _engine;
        }
    }

    protected override void StopProcessing() => _cts.Cancel();

    protected override void BeginProcessing()
    {
        try
        {
            _ = Engine;
        }
        catch (PodShellException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
        }
    }

    /// <summary>ShouldProcess for the Remove-* verbs with -Force. -Force also confirms, as Hyper-V's Remove-VM
    /// and Az's Remove-* cmdlets do: a script (cron, CI, pwsh -NonInteractive) is never stopped on a prompt.
    /// -WhatIf still holds (checked first, like Stop-Process), and an explicit -Confirm still prompts.</summary>
    protected bool ShouldProcessOrForce(string target, string action, bool force)
    {
        if (!force || MyInvocation.BoundParameters.ContainsKey("Confirm") || WhatIfRequested())
            return ShouldProcess(target, action);
        WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\" (-Force: not confirmed).");
        return true;
    }

    private bool WhatIfRequested()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w))
            return w is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(w);
        return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
    }

    /// <summary>Run one item's work; a PodShellException becomes a non-terminating error so the rest
    /// of the pipeline goes on. Ctrl+C becomes PipelineStoppedException, as PowerShell expects.</summary>
    protected bool Try(Action action)
    {
        using var trace = BeginPhaseTrace();
        try
        {
            action();
            return true;
        }
        catch (PodShellException e)
        {
            WriteError(ToErrorRecord(e));
            return false;
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (UnauthorizedAccessException e)
        {
            WriteError(new ErrorRecord(e, ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, null));
            return false;
        }
        catch (IOException e)
        {
            WriteError(new ErrorRecord(e, ErrorIds.FileSystemError, ErrorCategory.WriteError, null));
            return false;
        }
    }

    /// <summary>Run a blocking engine call on a worker thread while this (pipeline) thread reports
    /// progress once it has taken more than a second, as the web cmdlets do; only the pipeline thread
    /// may write progress. Exceptions come back unchanged.</summary>
    protected T RunWithProgress<T>(Func<T> work, string activity, string status)
    {
        var task = Task.Run(work);
        var started = DateTime.UtcNow;
        ProgressRecord? record = null;
        // Not task.Wait: that wraps a failure in AggregateException; GetResult below rethrows it as it was.
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(250))
        {
            WritePhases();
            if (DateTime.UtcNow - started < TimeSpan.FromSeconds(1)) continue;
            record ??= new ProgressRecord(Math.Abs(activity.GetHashCode() % 100000) + 1, activity, status);
            record.StatusDescription = $"{status} ({(DateTime.UtcNow - started).TotalSeconds:0} s)";
            WriteProgress(record);
        }
        if (record != null)
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>-Debug (or $DebugPreference other than SilentlyContinue): the engine's phases of this call
    /// go to the debug stream, one line each, then a summary per phase.</summary>
    private bool DebugRequested => _debugRequested ??=
        MyInvocation.BoundParameters.TryGetValue("Debug", out var d) && d is SwitchParameter s
            ? s.IsPresent
            : GetVariableValue("DebugPreference") is ActionPreference p && p != ActionPreference.SilentlyContinue && p != ActionPreference.Ignore;

    /// <summary>Listens to the engine's phases for one Try. The listener only queues: phases end on worker
    /// threads too (RunWithProgress), and only the pipeline thread may write, so the queue is drained here,
    /// in RunWithProgress's wait loop and when the Try ends. Null, and free, without -Debug or when an
    /// enclosing Try already listens.</summary>
    private PhaseDebugTrace? BeginPhaseTrace()
    {
        if (_phases != null || !DebugRequested) return null;
        var queue = _phases = new ConcurrentQueue<PhaseRecord>();
        return new PhaseDebugTrace(this, PhaseTrace.Listen(queue.Enqueue));
    }

    private List<PhaseRecord>? _written;

    private void WritePhases()
    {
        if (_phases is null) return;
        while (_phases.TryDequeue(out var r))
        {
            (_written ??= new()).Add(r);
            WriteDebug($"phase {r}");
        }
    }

    private sealed class PhaseDebugTrace(PodShellCmdlet cmdlet, IDisposable listening) : IDisposable
    {
        private readonly long _start = Stopwatch.GetTimestamp();

        public void Dispose()
        {
            listening.Dispose();
            try
            {
                cmdlet.WritePhases();
                if (cmdlet._written is { Count: > 0 } all)
                    cmdlet.WriteDebug($"phases of {cmdlet.MyInvocation.MyCommand.Name}: {PhaseTrace.Summarize(all, Stopwatch.GetElapsedTime(_start))}");
            }
            finally
            {
                cmdlet._phases = null;
                cmdlet._written = null;
            }
        }
    }

    internal static ErrorRecord ToErrorRecord(PodShellException e) =>
        new(e, e.ErrorId, Category(e.Kind), e.Target);

    internal static ErrorCategory Category(FailureKind kind) => kind switch
    {
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.AlreadyExists => ErrorCategory.ResourceExists,
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.InvalidState => ErrorCategory.InvalidOperation,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.ResourceBusy => ErrorCategory.ResourceBusy,
        FailureKind.RuntimeFailed => ErrorCategory.OperationStopped,
        FailureKind.NotSupported => ErrorCategory.NotInstalled,
        FailureKind.Cancelled => ErrorCategory.OperationStopped,
        _ => ErrorCategory.NotSpecified,
    };

}
