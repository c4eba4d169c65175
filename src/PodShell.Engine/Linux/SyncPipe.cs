using System.Text;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>A close-on-exec pipe whose write end is handed to a child (conmon's _OCI_SYNCPIPE) and
/// whose read end we poll with a timeout.</summary>
internal sealed unsafe class SyncPipe : IDisposable
{
    public int ReadFd { get; private set; } = -1;
    public int WriteFd { get; private set; } = -1;

    public SyncPipe()
    {
        int* fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
            throw new PodShellException(ErrorIds.PipeFailed, FailureKind.RuntimeFailed, "pipe2 failed: " + Errno.Describe(Errno.Last));
        ReadFd = fds[0];
        WriteFd = fds[1];
    }

    public void CloseWriteEnd()
    {
        if (WriteFd >= 0) { LibC.close(WriteFd); WriteFd = -1; }
    }

    /// <summary>Read one newline-terminated message; null on EOF (the writer died without a word).
    /// Throws TimeoutException when nothing arrives in time, OperationCanceledException on cancel.</summary>
    public string? ReadLine(TimeSpan timeout, CancellationToken ct)
    {
        var sb = new StringBuilder();
        var deadline = DateTime.UtcNow + timeout;
        byte* buf = stackalloc byte[4096];
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException();
            int pr = Poll.One(ReadFd, LibC.POLLIN, (int)Math.Min(left.TotalMilliseconds, 100), out _);
            if (pr < 0) { if (Errno.Last == LibC.EINTR) continue; throw new IOException("poll: " + Errno.Describe(Errno.Last)); }
            if (pr == 0) continue;
            long n = LibC.read(ReadFd, buf, 4096);
            if (n < 0) { if (Errno.Last == LibC.EINTR) continue; throw new IOException("read: " + Errno.Describe(Errno.Last)); }
            if (n == 0) return sb.Length > 0 ? sb.ToString() : null;
            sb.Append(Encoding.UTF8.GetString(buf, (int)n));
            var s = sb.ToString();
            int nl = s.IndexOf('\n');
            if (nl >= 0) return s[..nl];
        }
    }

    public void Dispose()
    {
        CloseWriteEnd();
        if (ReadFd >= 0) { LibC.close(ReadFd); ReadFd = -1; }
    }
}
