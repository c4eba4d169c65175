using System.Diagnostics;

namespace PodShell.Engine.Diagnostics;

/// <summary>The phases the engine counts and times. Only deterministic counts are asserted on (the CI guard
/// of issue 9); the times are for finding where a start spends its milliseconds.</summary>
public enum EnginePhase
{
    /// <summary>A connection to the state database was opened (each one is a round trip: open + pragmas).</summary>
    Database,
    /// <summary>The OCI runtime (runc/crun) was run by the engine itself: start, kill, delete, state, exec.</summary>
    Runtime,
    /// <summary>conmon was spawned (it runs "runtime create" itself, which is not counted as Runtime).</summary>
    Monitor,
}

/// <summary>Thread-safe counts and accumulated time per <see cref="EnginePhase"/>.
/// <see cref="Global"/> counts everything the process did; <see cref="Measure"/> also counts into a scope that
/// follows the async flow, so a test or a -Debug trace sees only its own work while other threads run.</summary>
public sealed class EngineCounters
{
    private static readonly int PhaseCount = Enum.GetValues<EnginePhase>().Length;
    private static readonly AsyncLocal<EngineCounters?> Scope = new();

    private readonly long[] _counts = new long[PhaseCount];
    private readonly long[] _ticks = new long[PhaseCount];
    private readonly EngineCounters? _outer;

    private EngineCounters(EngineCounters? outer) => _outer = outer;

    /// <summary>Everything counted in this process since it started (or since <see cref="Reset"/>).</summary>
    public static EngineCounters Global { get; } = new(null);

    /// <summary>The innermost scope opened by <see cref="Measure"/> on this async flow, if any.</summary>
    public static EngineCounters? Current => Scope.Value;

    /// <summary>Count from now on into a new scope (and into any enclosing scope) until the result is disposed.</summary>
    public static MeasureScope Measure() => new(new EngineCounters(Scope.Value));

    /// <summary>How many times <paramref name="phase"/> happened.</summary>
    public long Count(EnginePhase phase) => Interlocked.Read(ref _counts[(int)phase]);

    /// <summary>Time spent in <paramref name="phase"/>, summed (overlapping calls on other threads add up).</summary>
    public TimeSpan Elapsed(EnginePhase phase) => TimeSpan.FromTicks(Interlocked.Read(ref _ticks[(int)phase]) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <summary>Sets every count and time back to zero.</summary>
    public void Reset()
    {
        for (int i = 0; i < PhaseCount; i++)
        {
            Interlocked.Exchange(ref _counts[i], 0);
            Interlocked.Exchange(ref _ticks[i], 0);
        }
    }

    /// <summary>One line per phase: count and milliseconds, for a -Debug stream or a log.</summary>
    public override string ToString() =>
        string.Join(", ", Enum.GetValues<EnginePhase>().Select(p => $"{p}={Count(p)} ({Elapsed(p).TotalMilliseconds:0.0} ms)"));

    /// <summary>Counts one <paramref name="phase"/> event now; disposing the result adds its duration.
    /// Call sites write <c>using var _ = EngineCounters.Enter(EnginePhase.Runtime);</c>.</summary>
    internal static PhaseTimer Enter(EnginePhase phase, string? detail = null)
    {
        for (var c = Scope.Value; c != null; c = c._outer) Interlocked.Increment(ref c._counts[(int)phase]);
        Interlocked.Increment(ref Global._counts[(int)phase]);
        // The same events feed the per-phase trace (-Debug, PODSHELL_TRACE), so the two never disagree.
        var trace = PhaseTrace.Begin(phase switch
        {
            EnginePhase.Database => PhaseTrace.Db,
            EnginePhase.Monitor => PhaseTrace.Monitor,
            _ => PhaseTrace.Runtime,
        }, detail);
        return new PhaseTimer(phase, Scope.Value, Stopwatch.GetTimestamp(), trace);
    }

    /// <summary>Counts a helper program start as <see cref="EnginePhase.Monitor"/> when it is conmon, else as
    /// <see cref="EnginePhase.Runtime"/> (the engine starts no other programs). The trace names the program
    /// and, when someone listens, its subcommand ("runc start").</summary>
    internal static PhaseTimer EnterProcess(string path, IEnumerable<string>? args = null)
    {
        var name = Path.GetFileName(path);
        var detail = PhaseTrace.IsEnabled ? (name + " " + Subcommand(args)).TrimEnd() : null;
        return Enter(name.StartsWith("conmon", StringComparison.Ordinal) ? EnginePhase.Monitor : EnginePhase.Runtime, detail);
    }

    /// <summary>The first word that is not an option, skipping runc's global "--root DIR" and "--log DIR"
    /// (the options that take a separate value), e.g. "start" of "--root /run/x start id".</summary>
    internal static string Subcommand(IEnumerable<string>? args)
    {
        if (args is null) return "";
        bool skipValue = false;
        foreach (var a in args)
        {
            if (skipValue) { skipValue = false; continue; }
            if (a is "--root" or "--log" or "--log-format" or "--criu" or "--config") { skipValue = true; continue; }
            if (!a.StartsWith('-')) return a;
        }
        return "";
    }

    private void AddTicks(EnginePhase phase, long ticks)
    {
        for (var c = this; c != null; c = c._outer) Interlocked.Add(ref c._ticks[(int)phase], ticks);
    }

    /// <summary>Adds the duration of one counted event when disposed.</summary>
    internal readonly struct PhaseTimer : IDisposable
    {
        private readonly EnginePhase _phase;
        private readonly EngineCounters? _scope;
        private readonly long _start;
        private readonly PhaseTrace.Span _trace;

        internal PhaseTimer(EnginePhase phase, EngineCounters? scope, long start, PhaseTrace.Span trace) =>
            (_phase, _scope, _start, _trace) = (phase, scope, start, trace);

        public void Dispose()
        {
            if (_start == 0) return;
            _trace.Dispose();
            long ticks = Stopwatch.GetTimestamp() - _start;
            Interlocked.Add(ref Global._ticks[(int)_phase], ticks);
            _scope?.AddTicks(_phase, ticks);
        }
    }

    /// <summary>A scope from <see cref="Measure"/>; its <see cref="Counters"/> stay readable after Dispose.</summary>
    public sealed class MeasureScope : IDisposable
    {
        private readonly EngineCounters? _previous;
        private bool _disposed;

        internal MeasureScope(EngineCounters counters)
        {
            _previous = Scope.Value;
            Counters = counters;
            Scope.Value = counters;
        }

        /// <summary>What was counted in this scope.</summary>
        public EngineCounters Counters { get; }

        /// <summary>Stops counting into this scope; the enclosing scope (if any) becomes current again.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Scope.Value = _previous;
        }
    }
}
