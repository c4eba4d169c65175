using System.Diagnostics;
using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Runtime;

public sealed class FileLockTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private string LockPath => _dir.Combine("locks", "c1.lock");

    [Fact]
    public void SecondAcquire_TimesOutWhileHeld_AndSucceedsAfterDispose()
    {
        var first = FileLock.Acquire(LockPath, TimeSpan.FromSeconds(5));
        Assert.True(File.Exists(LockPath));
        var e = Assert.Throws<PodShellException>(() => FileLock.Acquire(LockPath, TimeSpan.FromMilliseconds(100)));
        Assert.Equal("LockTimeout", e.ErrorId);
        Assert.Equal(FailureKind.ResourceBusy, e.Kind);
        Assert.Equal(LockPath, e.Target);

        first.Dispose();
        first.Dispose(); // twice is harmless
        using var second = FileLock.Acquire(LockPath, TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void DifferentFiles_DoNotBlockEachOther()
    {
        using var a = FileLock.Acquire(_dir.Combine("locks", "a.lock"), TimeSpan.FromSeconds(1));
        using var b = FileLock.Acquire(_dir.Combine("locks", "b.lock"), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Waiting_IsCancellable()
    {
        using var held = FileLock.Acquire(LockPath, TimeSpan.FromSeconds(5));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => FileLock.Acquire(LockPath, TimeSpan.FromMinutes(5), cts.Token));
    }

    [Fact]
    public void AWaiter_GetsTheLockWhenTheHolderReleasesIt()
    {
        var held = FileLock.Acquire(LockPath, TimeSpan.FromSeconds(5));
        Exception? error = null;
        var waiter = new Thread(() =>
        {
            try { using var l = FileLock.Acquire(LockPath, TimeSpan.FromSeconds(60)); }
            catch (Exception e) { error = e; }
        });
        waiter.Start();
        held.Dispose();
        waiter.Join();
        Assert.Null(error);
    }

    [Fact]
    public void TheLockIsSeenByOtherProcesses()
    {
        // util-linux flock(1) takes the same flock(2) lock from another process.
        using (FileLock.Acquire(LockPath, TimeSpan.FromSeconds(5)))
        {
            Assert.Equal(1, RunFlock());
        }
        Assert.Equal(0, RunFlock());
    }

    private int RunFlock()
    {
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/flock", new[] { "--nonblock", "--conflict-exit-code", "1", LockPath, "/bin/true" }) { UseShellExecute = false })!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
