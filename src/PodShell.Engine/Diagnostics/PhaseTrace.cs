using System.Diagnostics;
using System.Text;

namespace PodShell.Engine.Diagnostics;

/// <summary>One finished phase: what it was, how long it took, and where it sat in the call.</summary>
/// <param name="Phase">One of the <see cref="PhaseTrace"/> phase names ("db", "mount", "runtime", ...).</param>
/// <param name="Detail">What exactly ran, e.g. "start" for a runtime call; may be empty.</param>
/// <param name="Elapsed">Wall time from Begin to Dispose.</param>
/// <param name="Depth">0 for a phase that no other phase encloses; nested phases are counted in their parent too.</param>
/// <param name="Outermost">False when an enclosing phase has the same name, so sums per phase do not count it twice.</param>
/// <param name="ThreadId">The managed thread the phase ran on.</param>
public readonly record struct PhaseRecord(string Phase, string Detail, TimeSpan Elapsed, int Depth, bool Outermost, int ThreadId)
{
    /// <summary>"  runtime start 21.3 ms": indented by depth, for a debug stream or a trace file.</summary>
    public override string ToString() =>
        $"{new string(' ', 2 * Depth)}{Phase}{(Detail.Length > 0 ? " " + Detail : "")} {Elapsed.TotalMilliseconds:0.0} ms";
}

/// <summary>The per-phase trace of issue 9: the engine marks its phases with
/// <c>using var p = PhaseTrace.Begin(PhaseTrace.Mount);</c> and whoever listens is told how long each took.
/// Listeners are either scoped to the async flow (a cmdlet's -Debug sees only its own call, not another
/// runspace's) or process-wide (PODSHELL_TRACE). With no listener, Begin is one volatile read.</summary>
public static class PhaseTrace
{
    public const string Db = "db";
    public const string ImageResolve = "image-resolve";
    public const string Mount = "mount";
    public const string Spec = "spec";
    public const string Network = "network";
    public const string Monitor = "monitor";
    public const string Runtime = "runtime";
    public const string Wait = "wait";
    public const string Cleanup = "cleanup";

    /// <summary>The environment variable: "1" (or "stderr") traces to standard error, anything else is a file
    /// path that lines are appended to.</summary>
    public const string EnvironmentVariable = "PODSHELL_TRACE";

    private static readonly AsyncLocal<Action<PhaseRecord>?> Scoped = new();
    private static readonly AsyncLocal<Frame?> Open = new();
    private static readonly object GlobalGate = new();
    private static Action<PhaseRecord>[] _global = Array.Empty<Action<PhaseRecord>>();
    // Scoped listeners alive anywhere + global listeners: the only thing Begin reads when nobody listens.
    private static int _listening;

    static PhaseTrace()
    {
        var setting = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(setting) && setting != "0") ListenTo(setting);
    }

    /// <summary>True when some listener exists (in any flow); call sites need not check it.</summary>
    public static bool IsEnabled => Volatile.Read(ref _listening) != 0;

    /// <summary>Starts timing <paramref name="phase"/>; disposing the result reports it. Free when nobody listens.</summary>
    public static Span Begin(string phase, string? detail = null)
    {
        if (Volatile.Read(ref _listening) == 0) return default;
        var parent = Open.Value;
        bool outermost = true;
        for (var f = parent; f != null; f = f.Parent)
            if (f.Phase == phase) { outermost = false; break; }
        var frame = new Frame(phase, detail ?? "", parent, parent is null ? 0 : parent.Depth + 1, outermost);
        Open.Value = frame;
        return new Span(frame, Stopwatch.GetTimestamp());
    }

    /// <summary>Sends this flow's phases (and those of tasks it starts) to <paramref name="listener"/> until the
    /// result is disposed; an enclosing scoped listener does not see them meanwhile. The listener may be called
    /// on any thread.</summary>
    public static IDisposable Listen(Action<PhaseRecord> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var previous = Scoped.Value;
        Scoped.Value = listener;
        Interlocked.Increment(ref _listening);
        return new Subscription(() =>
        {
            Scoped.Value = previous;
            Interlocked.Decrement(ref _listening);
        });
    }

    /// <summary>Sends every flow's phases to <paramref name="listener"/> until the result is disposed.</summary>
    public static IDisposable ListenGlobal(Action<PhaseRecord> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (GlobalGate) _global = _global.Append(listener).ToArray();
        Interlocked.Increment(ref _listening);
        return new Subscription(() =>
        {
            lock (GlobalGate) _global = _global.Where(l => l != listener).ToArray();
            Interlocked.Decrement(ref _listening);
        });
    }

    /// <summary>A process-wide listener for a PODSHELL_TRACE value: "1"/"stderr" writes to standard error,
    /// anything else appends to that file (opened per line, so several processes can share one file).
    /// Each line: time, process id, thread id, then the phase.</summary>
    public static IDisposable ListenTo(string setting)
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        int pid = Environment.ProcessId;
        Action<string> write = setting is "1" or "stderr" or "true"
            ? line => { lock (GlobalGate) Console.Error.WriteLine(line); }
            : line => { lock (GlobalGate) File.AppendAllText(setting, line + "\n"); };
        return ListenGlobal(r =>
        {
            try { write($"podshell-trace {DateTime.UtcNow:HH:mm:ss.fff} pid={pid} tid={r.ThreadId} {r}"); }
            // A trace that cannot be written must never fail the container operation it describes.
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        });
    }

    /// <summary>Per phase: how many times and how long, counting only outermost records of each phase (a
    /// "mount" inside a "mount" is already in its parent). Phases nest: a "db" inside "network" is in both.</summary>
    public static string Summarize(IEnumerable<PhaseRecord> records, TimeSpan? total = null)
    {
        var list = records.ToList();
        var sb = new StringBuilder();
        if (total is { } t)
        {
            var traced = list.Where(r => r.Depth == 0).Aggregate(TimeSpan.Zero, (a, r) => a + r.Elapsed);
            sb.Append($"total {t.TotalMilliseconds:0.0} ms (outside any phase {Math.Max(0, (t - traced).TotalMilliseconds):0.0} ms)");
        }
        foreach (var g in list.Where(r => r.Outermost).GroupBy(r => r.Phase).OrderByDescending(g => g.Sum(r => r.Elapsed.Ticks)))
        {
            if (sb.Length > 0) sb.Append("; ");
            sb.Append($"{g.Key} {g.Count()}x {TimeSpan.FromTicks(g.Sum(r => r.Elapsed.Ticks)).TotalMilliseconds:0.0} ms");
        }
        return sb.ToString();
    }

    private static void Report(Frame frame, TimeSpan elapsed)
    {
        var record = new PhaseRecord(frame.Phase, frame.Detail, elapsed, frame.Depth, frame.Outermost, Environment.CurrentManagedThreadId);
        Scoped.Value?.Invoke(record);
        foreach (var l in Volatile.Read(ref _global)) l(record);
    }

    private sealed record Frame(string Phase, string Detail, Frame? Parent, int Depth, bool Outermost);

    /// <summary>An open phase; <c>default</c> (nobody listening) does nothing on Dispose.</summary>
    public readonly struct Span : IDisposable
    {
        private readonly Frame? _frame;
        private readonly long _start;

        internal Span(object frame, long start) => (_frame, _start) = ((Frame)frame, start);

        public void Dispose()
        {
            if (_frame is null) return;
            var elapsed = Stopwatch.GetElapsedTime(_start);
            // Restore only if this span is still the innermost one (spans are disposed in order on one flow).
            if (ReferenceEquals(Open.Value, _frame)) Open.Value = _frame.Parent;
            Report(_frame, elapsed);
        }
    }

    private sealed class Subscription(Action undo) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) undo();
        }
    }
}
