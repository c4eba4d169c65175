using System.Diagnostics;
using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Runtime;

public sealed class ProcStatTests
{
    [Fact]
    public void Self_IsAliveWithItsStartTime()
    {
        var (pid, start) = ProcStat.Self();
        Assert.Equal(Environment.ProcessId, pid);
        Assert.True(start > 0);
        Assert.Equal(start, ProcStat.StartTime(pid));
        Assert.True(ProcStat.IsAlive(pid, start));
        Assert.True(ProcStat.IsAlive(pid, 0)); // 0 means "any start time"
        Assert.NotEqual('\0', ProcStat.State(pid));
        Assert.True(ProcStat.Signal(pid, 0));
    }

    [Fact]
    public void AWrongStartTime_IsAnotherProcess()
    {
        var (pid, start) = ProcStat.Self();
        Assert.False(ProcStat.IsAlive(pid, start + 1));
        Assert.False(ProcStat.IsAlive(pid, 1));
    }

    [Fact]
    public void Comm_IsTheTaskName_OrNullWhenGone()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try { Assert.Equal("sleep", ProcStat.Comm(p.Id)); }
        finally { p.Kill(); p.WaitForExit(); }
        Assert.Null(ProcStat.Comm(p.Id));
        Assert.Null(ProcStat.Comm(-1));
    }

    [Fact]
    public void NoPid_IsNotAlive()
    {
        Assert.False(ProcStat.IsAlive(0, 0));
        Assert.False(ProcStat.IsAlive(-5, 0));
        Assert.Equal(0UL, ProcStat.StartTime(0));
    }

    [Fact]
    public void ADeadChild_IsNotAlive()
    {
        using var p = Process.Start("/bin/sleep", "0")!;
        p.WaitForExit();
        int pid = p.Id;
        Assert.False(ProcStat.IsAlive(pid, 0));
        Assert.Equal(0UL, ProcStat.StartTime(pid));
        Assert.Equal('\0', ProcStat.State(pid));
        Assert.False(ProcStat.Signal(pid, 0));
    }

    [Fact]
    public void AZombie_IsNotAlive()
    {
        // posix_spawn leaves the child unreaped until Wait, as conmon's first process is.
        int pid = PosixSpawn.Spawn("/bin/true", new[] { "true" }, Array.Empty<string>(), Array.Empty<(int, int)>());
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (ProcStat.State(pid) != 'Z' && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.Equal('Z', ProcStat.State(pid));
            Assert.True(ProcStat.StartTime(pid) > 0);
            Assert.False(ProcStat.IsAlive(pid, ProcStat.StartTime(pid)));
        }
        finally
        {
            Assert.Equal(0, PosixSpawn.Wait(pid));
        }
    }

    [Fact]
    public void StartTime_IsField22_EvenWhenTheNameHasSpacesAndParens()
    {
        using var dir = new ScratchDir();
        Directory.CreateDirectory(dir.Combine("4242"));
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        // cutime cstime priority nice num_threads itrealvalue starttime ...
        File.WriteAllText(dir.Combine("4242", "stat"),
            "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654321 1000 200 18446744073709551615\n");
        Assert.Equal(987654321UL, ProcStat.StartTime(4242, dir.Path));
        Assert.Equal(0UL, ProcStat.StartTime(4243, dir.Path));
    }
}
