using System.Diagnostics;
using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Runtime;

/// <summary>The in-process `runc start`: a writer parked on opening the fifo (as runc's init is) is released,
/// its byte read, its end of file awaited, and the fifo removed. The real runc path runs in every Pester start.</summary>
public sealed class ExecFifoTests
{
    private static string MakeFifo(TempDir dir)
    {
        var path = System.IO.Path.Combine(dir.Path, "exec.fifo");
        using var p = Process.Start("mkfifo", path)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    private static Process Writer(string fifo, string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(fifo);
        return Process.Start(psi)!;
    }

    [Fact]
    public void AParkedWriter_IsReleased_AndTheFifoRemoved()
    {
        using var dir = new TempDir("execfifo");
        var fifo = MakeFifo(dir);
        // Like runc's init: blocks opening the fifo for writing, writes one byte, and its end closes when it is done.
        using var w = Writer(fifo, "printf 0 > \"$0\"; echo released > \"$0.done\"");
        var start = ProcStat.StartTime(w.Id);
        Assert.Equal(ExecFifo.Outcome.Started, ExecFifo.Release(fifo, w.Id, start, TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(fifo));
        Assert.True(w.WaitForExit(10_000));
        Assert.Equal(0, w.ExitCode);
        Assert.Equal("released", File.ReadAllText(fifo + ".done").Trim());
    }

    [Fact]
    public void NoFifo_SaysSo()
    {
        using var dir = new TempDir("execfifo");
        Assert.Equal(ExecFifo.Outcome.NoFifo, ExecFifo.Release(System.IO.Path.Combine(dir.Path, "missing"), Environment.ProcessId, ProcStat.Self().Start, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AnInitThatDiedBeforeOpeningIt_IsInitDead_NotAHang()
    {
        using var dir = new TempDir("execfifo");
        var fifo = MakeFifo(dir);
        using var gone = Writer(fifo, "exit 3");
        var start = ProcStat.StartTime(gone.Id);
        Assert.True(gone.WaitForExit(10_000));
        Assert.Equal(ExecFifo.Outcome.InitDead, ExecFifo.Release(fifo, gone.Id, start == 0 ? 1 : start, TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(fifo)); // nothing was started: the fifo stays for the runtime to report
    }

    [Fact]
    public void AWriterThatClosesWithoutTheByte_IsInitDead()
    {
        using var dir = new TempDir("execfifo");
        var fifo = MakeFifo(dir);
        using var w = Writer(fifo, ": > \"$0\"; sleep 5");
        var start = ProcStat.StartTime(w.Id);
        try
        {
            Assert.Equal(ExecFifo.Outcome.InitDead, ExecFifo.Release(fifo, w.Id, start, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            if (!w.HasExited) w.Kill();
            w.WaitForExit();
        }
    }
}
