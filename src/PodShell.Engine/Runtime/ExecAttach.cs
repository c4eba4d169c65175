using System.Net.Sockets;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Runtime;

/// <summary>An exec with a terminal, attached through conmon (podman exec -it): conmon gets the pty
/// master from the runtime over its console socket, and we talk to it over its attach socket
/// (SOCK_SEQPACKET; each packet from conmon is [stream id][bytes], packets to it are raw stdin) and
/// resize the pty through its ctl FIFO ("1 rows cols"). design.md, Upstream U3.</summary>
public sealed class ExecAttach : IDisposable
{
    private readonly ConmonMonitor.ExecLaunch _launch;
    private readonly Socket _socket;
    private readonly ExecPaths _paths;
    private readonly byte[] _packet = new byte[8192 + 1]; // conmon's STDIO_BUF_SIZE + the stream byte
    private int? _exitCode;

    public string ContainerId { get; }
    public string ExecId => _paths.ExecId;
    public int Pid => _launch.Pid;

    internal ExecAttach(string containerId, ConmonMonitor.ExecLaunch launch, Socket socket, ExecPaths paths)
    {
        ContainerId = containerId;
        _launch = launch;
        _socket = socket;
        _paths = paths;
    }

    /// <summary>Connect to the attach socket conmon has just bound in the exec dir.</summary>
    internal static Socket Connect(ExecPaths paths)
    {
        using var dir = new PathDescriptor(paths.Dir);
        var s = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(dir.ProcPath(paths.AttachSocketName)));
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Bytes for the program's terminal (keystrokes; Ctrl+D is byte 4).</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        try { _socket.Send(data); }
        catch (SocketException) { } // conmon gone: the process has ended, Receive reports it
        catch (ObjectDisposedException) { }
    }

    /// <summary>The next chunk of terminal output, copied into <paramref name="buffer"/> (at least
    /// 8192 bytes); 0 when conmon has closed the session because the process ended.</summary>
    public int Receive(Span<byte> buffer)
    {
        while (true)
        {
            int n;
            try { n = _socket.Receive(_packet); }
            catch (SocketException) { return 0; }
            catch (ObjectDisposedException) { return 0; }
            if (n == 0) return 0;
            if (n == 1) continue;
            // With a terminal stdout and stderr are one stream; conmon tags it stdout (2).
            var payload = _packet.AsSpan(1, n - 1);
            payload.CopyTo(buffer);
            return payload.Length;
        }
    }

    /// <summary>Like <see cref="Receive(Span{byte})"/>, but -1 when nothing arrived within <paramref name="timeout"/>.</summary>
    public int Receive(Span<byte> buffer, TimeSpan timeout)
    {
        try
        {
            if (!_socket.Poll(timeout, SelectMode.SelectRead)) return -1;
        }
        catch (SocketException) { return 0; }
        catch (ObjectDisposedException) { return 0; }
        return Receive(buffer);
    }

    /// <summary>Tell conmon the window size; it sets it on the pty, and the kernel sends SIGWINCH.</summary>
    public bool Resize(int rows, int columns)
    {
        rows = Math.Clamp(rows, 0, 1000);
        columns = Math.Clamp(columns, 0, 1000);
        return Fifo.TryWrite(_paths.ControlFifo, $"1 {rows} {columns}\n");
    }

    /// <summary>The exit code, once Receive has returned 0: from the sync pipe, else conmon's exit file.</summary>
    public int WaitForExit(CancellationToken ct = default)
    {
        if (_exitCode is { } done) return done;
        var code = _launch.ReadExitCode(TimeSpan.FromSeconds(30), ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (code is null && DateTime.UtcNow < deadline)
        {
            code = _paths.ReadExitCode();
            if (code is null) { ct.ThrowIfCancellationRequested(); Thread.Sleep(20); }
        }
        _exitCode = code ?? -1;
        return _exitCode.Value;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _launch.Dispose();
        // The exec dir only matters while the session lives; conmon has removed its socket by now.
        try { if (_exitCode.HasValue && Directory.Exists(_paths.Dir)) Directory.Delete(_paths.Dir, true); } catch (IOException) { }
    }
}
