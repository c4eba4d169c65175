using System.Runtime.InteropServices;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Runtime;

/// <summary>Joins the local terminal to an <see cref="ExecAttach"/> session: raw mode for the
/// duration, keystrokes to the container, output to the screen, and window size changes (SIGWINCH)
/// forwarded. Ends when the program in the container exits (a shell on Ctrl+D or "exit").</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ConsoleRelay
{
    public const int StdinFd = 0;
    public const int StdoutFd = 1;

    public static bool IsTerminal(int fd) => Terminal.IsTerminal(fd);

    public static (int Rows, int Columns)? WindowSize(int fd = StdoutFd) => Terminal.WindowSize(fd);

    /// <summary>Relay until the process ends and return its exit code.</summary>
    public static int Run(ExecAttach session, CancellationToken ct, int inFd = StdinFd, int outFd = StdoutFd)
    {
        byte[]? saved = Terminal.IsTerminal(inFd) ? Terminal.MakeRaw(inFd) : null;
        PosixSignalRegistration? winch = null;
        try
        {
            void SendSize()
            {
                if ((Terminal.WindowSize(outFd) ?? Terminal.WindowSize(inFd)) is { } s) session.Resize(s.Rows, s.Columns);
            }
            winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => SendSize());
            // The size in the process spec may predate a resize during setup.
            SendSize();

            var output = new Thread(() =>
            {
                var buf = new byte[8192];
                int n;
                while ((n = session.Receive(buf)) > 0)
                {
                    try { Terminal.WriteAll(outFd, buf.AsSpan(0, n)); }
                    catch (IOException) { }
                }
            }) { IsBackground = true, Name = "PodShell console output" };
            output.Start();

            var inBuf = new byte[4096];
            bool inputOpen = true;
            while (output.IsAlive && !ct.IsCancellationRequested)
            {
                if (!inputOpen) { output.Join(100); continue; }
                int n = Terminal.ReadWithTimeout(inFd, inBuf, 100);
                if (n > 0) session.Send(inBuf.AsSpan(0, n));
                else if (n == 0)
                {
                    // Our stdin ended (not a terminal): the same as Ctrl+D at an empty prompt.
                    session.Send(new byte[] { 4 });
                    inputOpen = false;
                }
            }
            ct.ThrowIfCancellationRequested();
            output.Join();
            return session.WaitForExit(ct);
        }
        finally
        {
            winch?.Dispose();
            if (saved != null) Terminal.Restore(inFd, saved);
        }
    }
}
