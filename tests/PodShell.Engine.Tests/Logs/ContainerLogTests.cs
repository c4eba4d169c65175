using PodShell.Engine.Containers;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Logs;

/// <summary>GetLogs against real containers under conmon: what podman logs options do.</summary>
public sealed class ContainerLogTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public ContainerLogTests(EngineFixture fx) => _fx = fx;

    private Container Run(string script, long? logSizeMax = null)
    {
        var c = Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox",
            Name = "logs-" + Guid.NewGuid().ToString("N")[..8],
            Command = new[] { "sh", "-c", script },
            LogSizeMax = logSizeMax,
        });
        Engine.StartContainer(c.Id);
        return c;
    }

    private Container RunToExit(string script, long? logSizeMax = null)
    {
        var c = Run(script, logSizeMax);
        Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
        return c;
    }

    private void Remove(Container c) => Engine.RemoveContainer(c.Id, force: true);

    [MachineFact(Needs.Root)]
    public void Streams_AreSeparated_AndEntriesNameTheContainer()
    {
        var c = RunToExit("echo out1; echo err1 >&2; echo out2");
        try
        {
            var logs = Engine.GetLogs(c.Name).ToList();
            Assert.Equal(new[] { "out1", "out2" }, logs.Where(l => l.Stream == "stdout").Select(l => l.Line));
            Assert.Equal(new[] { "err1" }, logs.Where(l => l.Stream == "stderr").Select(l => l.Line));
            Assert.All(logs, l => Assert.Equal((c.Id, c.Name), (l.ContainerId, l.ContainerName)));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Tail_KeepsTheLastLines()
    {
        var c = RunToExit("i=1; while [ $i -le 50 ]; do echo line$i; i=$((i+1)); done");
        try
        {
            Assert.Equal(50, Engine.GetLogs(c.Id).Count());
            Assert.Equal(new[] { "line48", "line49", "line50" }, Engine.GetLogs(c.Id, tail: 3).Select(l => l.Line));
            Assert.Empty(Engine.GetLogs(c.Id, tail: 0));
            Assert.Equal(50, Engine.GetLogs(c.Id, tail: 500).Count());
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Since_KeepsLinesAtOrAfterTheTime_InAnyKind()
    {
        // Two bursts a second apart: the second one's first time separates them, whatever the clock.
        var c = RunToExit("echo early1; echo early2; sleep 1.5; echo late1; echo late2");
        try
        {
            var all = Engine.GetLogs(c.Id).ToList();
            Assert.Equal(4, all.Count);
            var cut = all[2].Time;
            Assert.True(cut > all[1].Time);
            Assert.Equal(new[] { "late1", "late2" }, Engine.GetLogs(c.Id, since: cut).Select(l => l.Line));
            Assert.Equal(new[] { "late1", "late2" }, Engine.GetLogs(c.Id, since: cut.ToLocalTime()).Select(l => l.Line));
            var unspecified = DateTime.SpecifyKind(cut.ToLocalTime(), DateTimeKind.Unspecified);
            Assert.Equal(new[] { "late1", "late2" }, Engine.GetLogs(c.Id, since: unspecified).Select(l => l.Line));
            Assert.Equal(new[] { "late2" }, Engine.GetLogs(c.Id, since: cut, tail: 1).Select(l => l.Line));
            Assert.Empty(Engine.GetLogs(c.Id, since: DateTime.UtcNow.AddMinutes(5)));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void APartialLine_IsReassembled()
    {
        // printf without a newline, a pause so conmon reads it on its own (a P record), then the rest.
        var c = RunToExit("printf 'abc'; sleep 0.5; printf 'def\\n'; printf 'no newline at all'");
        try
        {
            var raw = File.ReadAllText(Engine.PathsFor(c.Id).LogFile);
            Assert.Contains(" stdout P abc", raw); // the log really holds a partial record
            var logs = Engine.GetLogs(c.Id).ToList();
            Assert.Equal(new[] { "abcdef", "no newline at all" }, logs.Select(l => l.Line));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_YieldsLinesAsTheyComeAndReturnsWhenTheContainerExits()
    {
        var c = Run("i=1; while [ $i -le 5 ]; do echo tick$i; i=$((i+1)); sleep 0.3; done; echo bye >&2");
        try
        {
            var seen = new List<ContainerLogEntry>();
            bool runningDuringFollow = false;
            foreach (var e in Engine.GetLogs(c.Id, follow: true, ct: new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
            {
                if (seen.Count == 0) runningDuringFollow = Engine.GetContainer(c.Id).State == ContainerState.Running;
                seen.Add(e);
            }
            Assert.True(runningDuringFollow, "the first line arrived only after the container had exited");
            Assert.Equal(new[] { "tick1", "tick2", "tick3", "tick4", "tick5", "bye" }, seen.Select(l => l.Line));
            Assert.Equal("stderr", seen[^1].Stream);
            Assert.Equal(ContainerState.Exited, Engine.GetContainer(c.Id).State);
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_WithTail_StartsFromTheLastLines()
    {
        var c = Run("echo a; echo b; echo c; sleep 1; echo d");
        try
        {
            // Wait until the first burst is in the log, so the tail is taken from it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Engine.GetLogs(c.Id).Count() < 3 && DateTime.UtcNow < deadline) Thread.Sleep(50);
            var lines = Engine.GetLogs(c.Id, tail: 1, follow: true, ct: new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token)
                .Select(l => l.Line).ToList();
            Assert.Equal(new[] { "c", "d" }, lines);
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_WithTail_FinishesALineThatWasHalfWrittenWhenTheTailWasRead()
    {
        var c = Run("echo a; printf 'par'; sleep 2; echo tial; echo b");
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(File.Exists(log) && File.ReadAllText(log).Contains(" stdout P par")) && DateTime.UtcNow < deadline) Thread.Sleep(50);
            var lines = Engine.GetLogs(c.Id, tail: 1, follow: true, ct: new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token)
                .Select(l => l.Line).ToList();
            // The tail reader hands the partial record to the follower, which joins it with the rest.
            Assert.Equal(new[] { "a", "partial", "b" }, lines);
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_OfAnExitedContainer_ReturnsAtOnce()
    {
        var c = RunToExit("echo only");
        try
        {
            Assert.Equal(new[] { "only" }, Engine.GetLogs(c.Id, follow: true).Select(l => l.Line));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_IsCancelledByTheToken()
    {
        var c = Run("echo started; sleep 600");
        try
        {
            using var cts = new CancellationTokenSource();
            var seen = new List<string>();
            var ex = Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                foreach (var e in Engine.GetLogs(c.Id, follow: true, ct: cts.Token))
                {
                    seen.Add(e.Line);
                    cts.CancelAfter(TimeSpan.FromMilliseconds(300));
                }
            });
            Assert.Equal(new[] { "started" }, seen);
            Assert.Equal(ContainerState.Running, Engine.GetContainer(c.Id).State);
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public async Task Follow_EndsWhenTheContainerIsRemoved()
    {
        var c = Run("echo here; sleep 600");
        var follower = Task.Run(() => Engine.GetLogs(c.Id, follow: true, ct: new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token).Select(l => l.Line).ToList());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Engine.GetLogs(c.Id).Any() && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Engine.StopContainer(c.Id, timeoutSeconds: 1);
        Remove(c);
        Assert.Equal(new[] { "here" }, await follower);
    }

    [MachineFact(Needs.Root)]
    public void LogSizeMax_KeepsTheLogUnderTheLimit_AndKeepsTheNewestOutput()
    {
        const long limit = 16 * 1024;
        // About 4000 records of ~60 bytes: 15 times the limit.
        var c = RunToExit("i=1; while [ $i -le 4000 ]; do echo line-$i-xxxxxxxxxx; i=$((i+1)); done", limit);
        try
        {
            Assert.Equal(limit, Engine.GetContainer(c.Id).LogSizeMax);
            var size = new FileInfo(Engine.PathsFor(c.Id).LogFile).Length;
            Assert.InRange(size, 1, limit);
            var logs = Engine.GetLogs(c.Id).ToList();
            Assert.Equal("line-4000-xxxxxxxxxx", logs[^1].Line);
            Assert.True(logs.Count < 4000, "older output was dropped");
            // What is kept is a run of consecutive lines ending with the last one.
            // conmon starts the file anew between two reads of the container's output, so the first
            // record kept can be the tail of a line; every later one is whole.
            var numbers = logs.SkipWhile(l => !System.Text.RegularExpressions.Regex.IsMatch(l.Line, @"^line-\d+-x+$"))
                .Select(l => int.Parse(l.Line.Split('-')[1])).ToList();
            Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
            Assert.False(File.Exists(Engine.PathsFor(c.Id).LogFile + ".tmp"));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void Follow_CarriesOnAcrossConmonReplacingTheLog()
    {
        // conmon keeps no rotated file: a follower can only miss a file that lives less than its wakeup
        // latency. This writer fills the 8 KiB limit in about half a second, many times over.
        const long limit = 8192;
        var c = Run("sleep 0.5; i=1; while [ $i -le 1500 ]; do echo n$i; i=$((i+1)); [ $((i % 20)) -eq 0 ] && sleep 0.02; done", limit);
        try
        {
            var lines = Engine.GetLogs(c.Id, follow: true, ct: new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token)
                .Select(l => l.Line).ToList();
            // The follower missed nothing although the file was replaced many times under it.
            Assert.Equal(Enumerable.Range(1, 1500).Select(i => "n" + i), lines);
            Assert.True(Engine.GetLogs(c.Id).Count() < 1500);
        }
        finally { Remove(c); }
    }

    [Theory]
    [InlineData(1000L)]
    [InlineData(0L)]
    [InlineData(-5L)]
    public void ABadLogSizeMax_IsRefusedAtCreate(long bad)
    {
        var e = Assert.Throws<PodShellException>(() => Engine.CreateContainer(new CreateOptions
        {
            Image = "busybox", Command = new[] { "true" }, LogSizeMax = bad,
        }));
        Assert.Equal("InvalidLogSizeMax", e.ErrorId);
        Assert.DoesNotContain(Engine.GetContainers(), x => x.LogSizeMax == bad);
    }

    [MachineFact(Needs.Root)]
    public void NoLimitAskedFor_GetsTheDefault_AndMinusOneIsNone()
    {
        var c = RunToExit("true");
        var unlimited = RunToExit("true", K8sFileLog.Unlimited);
        try
        {
            Assert.Equal(10L * 1024 * 1024, c.LogSizeMax);
            Assert.Equal(K8sFileLog.DefaultSizeMax, c.LogSizeMax);
            Assert.Equal(long.MaxValue, unlimited.LogSizeMax);
        }
        finally { Remove(c); Remove(unlimited); }
    }

    [MachineFact(Needs.Root)]
    public void ARestart_WithTheLogHalfFull_MovesItToTheRotatedFile()
    {
        const long limit = 16 * 1024;
        // The rootfs persists between runs: the first run (150 records of ~65 bytes, over half the
        // limit) leaves a marker for the second.
        var c = RunToExit("if [ -e /ran ]; then echo second; else echo x > /ran; " +
                          "i=1; while [ $i -le 150 ]; do echo first-$i-xxxxxxxxxx; i=$((i+1)); done; fi", limit);
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            Assert.InRange(new FileInfo(log).Length, limit / 2, limit);
            Engine.StartContainer(c.Id);
            Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
            Assert.Contains(" stdout F first-1-x", File.ReadAllText(log + ".1"));
            // conmon counts from 0 at each start: the file it appends to must not hold the old run.
            Assert.DoesNotContain("first", File.ReadAllText(log));
            var lines = Engine.GetLogs(c.Id).Select(l => l.Line).ToList();
            Assert.Equal(Enumerable.Range(1, 150).Select(i => $"first-{i}-xxxxxxxxxx").Append("second"), lines);
            Assert.Equal(new[] { "first-150-xxxxxxxxxx", "second" }, Engine.GetLogs(c.Id, tail: 2).Select(l => l.Line));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void ARestart_WithLittleInTheLog_AppendsToIt_AsPodmanDoes()
    {
        var c = RunToExit("if [ -e /ran ]; then echo second; else echo x > /ran; echo first; fi");
        try
        {
            Engine.StartContainer(c.Id);
            Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
            var log = Engine.PathsFor(c.Id).LogFile;
            Assert.False(File.Exists(log + ".1"));
            Assert.Equal(new[] { "first", "second" }, Engine.GetLogs(c.Id).Select(l => l.Line));
        }
        finally { Remove(c); }
    }

    [MachineFact(Needs.Root)]
    public void AReadOfARunningContainer_KeepsTheGenerationConmonWouldDrop()
    {
        const long limit = 16 * 1024;
        // 200 records of ~65 bytes (over half the limit), a pause, then the limit filled many times over.
        var c = Run("i=1; while [ $i -le 200 ]; do echo line-$i-xxxxxxxxxx; i=$((i+1)); done; sleep 2; " +
                    "while [ $i -le 4000 ]; do echo line-$i-xxxxxxxxxx; i=$((i+1)); done", limit);
        try
        {
            var log = Engine.PathsFor(c.Id).LogFile;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Engine.GetLogs(c.Id).Count() < 200 && DateTime.UtcNow < deadline) Thread.Sleep(100);
            // That read found ctr.log over half full and gave it a second name.
            Assert.Equal(2u, PodShell.Engine.Linux.FileStatus.TryLStat(log)!.Value.LinkCount);
            Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(60)));
            var logs = Engine.GetLogs(c.Id).Select(l => l.Line).ToList();
            // conmon replaced ctr.log many times; the generation linked at the read is still there, first.
            Assert.Equal("line-1-xxxxxxxxxx", logs[0]);
            Assert.Equal("line-4000-xxxxxxxxxx", logs[^1]);
            Assert.InRange(new FileInfo(log).Length + new FileInfo(log + ".1").Length, 1, 2 * limit);
            Assert.Equal("line-4000-xxxxxxxxxx", Assert.Single(Engine.GetLogs(c.Id, tail: 1)).Line);
        }
        finally { Remove(c); }
    }
}
