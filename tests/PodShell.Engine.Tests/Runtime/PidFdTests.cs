using System.Diagnostics;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Runtime;

public sealed class PidFdTests
{
    [Fact]
    public void SignalsOnlyTheProcessThatStartedAtThatTime()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var start = ProcStat.StartTime(p.Id);
            Assert.True(start > 0);
            // Another start time is another process that reused the pid: it must not be touched.
            Assert.False(PidFd.SignalIfSame(p.Id, start + 1, 9));
            Assert.False(p.WaitForExit(200));
            Assert.True(PidFd.SignalIfSame(p.Id, start, 9));
            Assert.True(p.WaitForExit(10_000));
            Assert.Equal(137, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [Fact]
    public void AGoneOrUnknownProcess_IsFalse()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        var start = ProcStat.StartTime(p.Id);
        p.WaitForExit();
        Assert.False(PidFd.SignalIfSame(p.Id, start == 0 ? 1 : start, 9));
        Assert.False(PidFd.SignalIfSame(0, 1, 9));
        Assert.False(PidFd.SignalIfSame(Environment.ProcessId, 0, 0)); // no start time: never trusted
    }
}
