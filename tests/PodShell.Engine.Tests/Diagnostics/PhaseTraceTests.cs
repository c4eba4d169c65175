using System.Collections.Concurrent;
using PodShell.Engine.Diagnostics;

namespace PodShell.Engine.Tests.Diagnostics;

public sealed class PhaseTraceTests
{
    [Fact]
    public void Listen_ReportsEachPhaseWithDepthAndWhetherItIsOutermost()
    {
        var seen = new List<PhaseRecord>();
        using (PhaseTrace.Listen(seen.Add))
        {
            using (PhaseTrace.Begin(PhaseTrace.Network, "setup"))
            {
                using (PhaseTrace.Begin(PhaseTrace.Db)) Thread.Sleep(2);
                using (PhaseTrace.Begin(PhaseTrace.Network, "inner")) { }
            }
            using (PhaseTrace.Begin(PhaseTrace.Spec)) { }
        }

        Assert.Equal(new[] { "db", "network", "network", "spec" }, seen.Select(r => r.Phase));
        Assert.Equal(new[] { 1, 1, 0, 0 }, seen.Select(r => r.Depth));
        Assert.Equal(new[] { true, false, true, true }, seen.Select(r => r.Outermost));
        Assert.Equal("setup", seen[2].Detail);
        Assert.Equal("", seen[3].Detail);
        Assert.True(seen[0].Elapsed > TimeSpan.Zero);
        Assert.True(seen[2].Elapsed >= seen[0].Elapsed, "a parent lasts at least as long as its child");
        Assert.StartsWith("  db ", seen[0].ToString());
        Assert.EndsWith(" ms", seen[2].ToString());
        Assert.StartsWith("network setup ", seen[2].ToString());
    }

    [Fact]
    public void DisposedListener_HearsNothingMore_AndTheEnclosingOneIsBack()
    {
        var outer = new List<PhaseRecord>();
        var inner = new List<PhaseRecord>();
        using var o = PhaseTrace.Listen(outer.Add);
        var i = PhaseTrace.Listen(inner.Add);
        using (PhaseTrace.Begin(PhaseTrace.Mount)) { }
        i.Dispose();
        i.Dispose(); // twice is harmless
        using (PhaseTrace.Begin(PhaseTrace.Runtime)) { }

        Assert.Equal(new[] { "mount" }, inner.Select(r => r.Phase));
        Assert.Equal(new[] { "runtime" }, outer.Select(r => r.Phase));
    }

    [Fact]
    public async Task ScopedListener_FollowsTasks_ButNotFlowsStartedWithoutItsContext()
    {
        var seen = new ConcurrentQueue<PhaseRecord>();
        using (PhaseTrace.Listen(seen.Enqueue))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(n => Task.Run(() =>
            {
                for (int k = 0; k < 50; k++) using (PhaseTrace.Begin(PhaseTrace.Db, $"task{n}")) { }
            })));

            Thread other;
            using (ExecutionContext.SuppressFlow())
            {
                other = new Thread(() => { using (PhaseTrace.Begin(PhaseTrace.Runtime, "elsewhere")) { } });
                other.Start();
            }
            other.Join();
        }

        Assert.Equal(200, seen.Count);
        Assert.All(seen, r => Assert.Equal(0, r.Depth));
        Assert.DoesNotContain(seen, r => r.Detail == "elsewhere");
    }

    [Fact]
    public void GlobalListener_HearsOtherFlows()
    {
        var marker = "global-" + Guid.NewGuid().ToString("N");
        var seen = new ConcurrentQueue<PhaseRecord>();
        using (PhaseTrace.ListenGlobal(seen.Enqueue))
        {
            Thread other;
            using (ExecutionContext.SuppressFlow())
            {
                other = new Thread(() => { using (PhaseTrace.Begin(PhaseTrace.Runtime, marker)) { } });
                other.Start();
            }
            other.Join();
        }
        using (PhaseTrace.Begin(PhaseTrace.Runtime, marker)) { }
        Assert.Single(seen, r => r.Detail == marker);
    }

    [Fact]
    public void ListenTo_AFile_AppendsOneLinePerPhase()
    {
        var dir = Directory.CreateTempSubdirectory("podshell-trace-");
        try
        {
            var file = Path.Combine(dir.FullName, "trace.log");
            var marker = "file-" + Guid.NewGuid().ToString("N");
            using (PhaseTrace.ListenTo(file))
            {
                using (PhaseTrace.Begin(PhaseTrace.Mount, marker))
                using (PhaseTrace.Begin(PhaseTrace.Runtime, marker)) { }
            }
            using (PhaseTrace.Begin(PhaseTrace.Spec, marker)) { }

            // Other tests may run phases at the same time: only this test's marker lines are checked.
            var lines = File.ReadAllLines(file).Where(l => l.Contains(marker)).ToList();
            Assert.Equal(2, lines.Count);
            Assert.Matches($@"^podshell-trace \d\d:\d\d:\d\d\.\d{{3}} pid={Environment.ProcessId} tid=\d+   runtime {marker} \d+\.\d ms$", lines[0]);
            Assert.Matches($@" mount {marker} \d+\.\d ms$", lines[1]);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void ListenTo_AnUnwritableFile_NeverFailsTheTracedWork()
    {
        var dir = Directory.CreateTempSubdirectory("podshell-trace-");
        try
        {
            // A directory in place of the file: every append fails with an IOException.
            using (PhaseTrace.ListenTo(dir.FullName))
            {
                using (PhaseTrace.Begin(PhaseTrace.Db)) { }
            }
            Assert.Empty(dir.GetFileSystemInfos());
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Summarize_CountsOutermostRecordsPerPhase_AndTimeOutsideAnyPhase()
    {
        var ms = (double v) => TimeSpan.FromMilliseconds(v);
        var records = new[]
        {
            new PhaseRecord("db", "", ms(1), 1, true, 1),
            new PhaseRecord("mount", "overlay", ms(4), 1, false, 1),
            new PhaseRecord("mount", "layer + overlay", ms(10), 0, true, 1),
            new PhaseRecord("runtime", "runc start", ms(20), 0, true, 1),
            new PhaseRecord("db", "", ms(2), 0, true, 1),
        };
        var text = PhaseTrace.Summarize(records, ms(40));
        Assert.Equal("total 40.0 ms (outside any phase 8.0 ms); runtime 1x 20.0 ms; mount 1x 10.0 ms; db 2x 3.0 ms", text);
        Assert.Equal("", PhaseTrace.Summarize(Array.Empty<PhaseRecord>()));
    }

    [Fact]
    public void EngineCounters_FeedTheTrace_WithTheRuntimeSubcommand()
    {
        var seen = new List<PhaseRecord>();
        using (PhaseTrace.Listen(seen.Add))
        {
            using (EngineCounters.EnterProcess("/usr/sbin/runc", new[] { "--root", "/run/x", "delete", "--force", "abc" })) { }
            using (EngineCounters.EnterProcess("/usr/bin/conmon", new[] { "--api-version", "1" })) { }
            using (EngineCounters.Enter(EnginePhase.Database)) { }
        }
        Assert.Equal(new[] { "runtime", "monitor", "db" }, seen.Select(r => r.Phase));
        Assert.Equal("runc delete", seen[0].Detail);
        Assert.Equal("conmon 1", seen[1].Detail); // "--api-version" has its value apart; only the known runtime options are skipped
    }

    [Theory]
    [InlineData("start", "--root /run/r start id")]
    [InlineData("kill", "--root /run/r --log /x --log-format json kill -a id 9")]
    [InlineData("setup", "--config /etc/n --rootless=false setup /run/netns/x")]
    [InlineData("", "--root /run/r")]
    public void Subcommand_SkipsTheGlobalOptions(string expected, string args)
    {
        Assert.Equal(expected, EngineCounters.Subcommand(args.Split(' ')));
        Assert.Equal("", EngineCounters.Subcommand(null));
    }
}
