using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>conmon's _OCI_STARTPIPE: the child gets the read end and blocks on it until we write.
/// For an attached exec conmon reads it twice, once before forking and once just before it runs
/// "runtime exec", so no output is produced before the client has connected.</summary>
internal sealed unsafe class StartPipe : IDisposable
{
    public int ReadFd { get; private set; } = -1;
    public int WriteFd { get; private set; } = -1;

    public StartPipe()
    {
        int* fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
            throw new PodShellException(ErrorIds.PipeFailed, FailureKind.RuntimeFailed, "pipe2 failed: " + Errno.Describe(Errno.Last));
        ReadFd = fds[0];
        WriteFd = fds[1];
    }

    public void CloseReadEnd()
    {
        if (ReadFd >= 0) { LibC.close(ReadFd); ReadFd = -1; }
    }

    /// <summary>One message; conmon only waits for a read to return, the content is not looked at.</summary>
    public void Signal()
    {
        byte b = (byte)'0';
        long n;
        do n = LibC.write(WriteFd, &b, 1); while (n < 0 && Errno.Last == LibC.EINTR);
        if (n != 1) throw new IOException("start pipe: " + Errno.Describe(Errno.Last));
    }

    public void Dispose()
    {
        CloseReadEnd();
        if (WriteFd >= 0) { LibC.close(WriteFd); WriteFd = -1; }
    }
}
