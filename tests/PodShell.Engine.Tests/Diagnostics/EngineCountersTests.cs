using PodShell.Engine.Diagnostics;

namespace PodShell.Engine.Tests.Diagnostics;

public sealed class EngineCountersTests
{
    [Fact]
    public void Measure_CountsOnlyWhatHappensInsideTheScope()
    {
        using (EngineCounters.Enter(EnginePhase.Database)) { }
        using var scope = EngineCounters.Measure();
        Assert.Same(scope.Counters, EngineCounters.Current);
        using (EngineCounters.Enter(EnginePhase.Runtime)) { }
        using (EngineCounters.EnterProcess("/usr/bin/conmon")) { }
        using (EngineCounters.EnterProcess("/usr/sbin/runc")) { }
        Assert.Equal(0, scope.Counters.Count(EnginePhase.Database));
        Assert.Equal(2, scope.Counters.Count(EnginePhase.Runtime));
        Assert.Equal(1, scope.Counters.Count(EnginePhase.Monitor));
        scope.Dispose();
        using (EngineCounters.Enter(EnginePhase.Runtime)) { }
        Assert.Equal(2, scope.Counters.Count(EnginePhase.Runtime));
        Assert.NotSame(scope.Counters, EngineCounters.Current);
    }

    [Fact]
    public void NestedScopes_CountIntoEveryEnclosingScope()
    {
        using var outer = EngineCounters.Measure();
        using (var inner = EngineCounters.Measure())
        {
            using (EngineCounters.Enter(EnginePhase.Database)) Thread.Sleep(5);
            Assert.Equal(1, inner.Counters.Count(EnginePhase.Database));
            Assert.True(inner.Counters.Elapsed(EnginePhase.Database) > TimeSpan.Zero);
        }
        Assert.Same(outer.Counters, EngineCounters.Current);
        using (EngineCounters.Enter(EnginePhase.Database)) { }
        Assert.Equal(2, outer.Counters.Count(EnginePhase.Database));
        Assert.True(outer.Counters.Elapsed(EnginePhase.Database) >= TimeSpan.Zero);
        Assert.Contains("Database=2", outer.Counters.ToString());
    }

    [Fact]
    public async Task Scope_FollowsTasksAndIsThreadSafe()
    {
        using var scope = EngineCounters.Measure();
        long globalBefore = EngineCounters.Global.Count(EnginePhase.Monitor);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++) using (EngineCounters.Enter(EnginePhase.Monitor)) { }
        })));
        Assert.Equal(8000, scope.Counters.Count(EnginePhase.Monitor));
        Assert.True(EngineCounters.Global.Count(EnginePhase.Monitor) - globalBefore >= 8000);
    }

    [Fact]
    public void OtherFlows_DoNotCountIntoThisScope()
    {
        using var scope = EngineCounters.Measure();
        var t = new Thread(() => { using (EngineCounters.Enter(EnginePhase.Runtime)) { } });
        // A thread started without the execution context does not inherit the scope.
        using (ExecutionContext.SuppressFlow()) t.Start();
        t.Join();
        Assert.Equal(0, scope.Counters.Count(EnginePhase.Runtime));
    }

    [Fact]
    public void Reset_ZeroesCountsAndTimes()
    {
        using var scope = EngineCounters.Measure();
        using (EngineCounters.Enter(EnginePhase.Runtime)) Thread.Sleep(1);
        scope.Counters.Reset();
        Assert.Equal(0, scope.Counters.Count(EnginePhase.Runtime));
        Assert.Equal(TimeSpan.Zero, scope.Counters.Elapsed(EnginePhase.Runtime));
    }
}
