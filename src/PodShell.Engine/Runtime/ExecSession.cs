using System.Collections.Concurrent;
using System.Diagnostics;

namespace PodShell.Engine.Runtime;

/// <summary>One line a process inside a container wrote.</summary>
public readonly record struct ExecOutput(bool IsError, string Line);

/// <summary>A process run in a running container with "runtime exec" (like podman exec without -d).
/// Output arrives on reader threads; the caller drains <see cref="ReadOutput"/> on its own thread,
/// because PowerShell only lets the pipeline thread write objects.</summary>
public sealed class ExecSession : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<ExecOutput> _lines = new();
    private int _openStreams = 2;

    public string ContainerId { get; }
    public int? ExitCode { get; private set; }

    internal ExecSession(OciRuntime runtime, string containerId, IReadOnlyList<string> command,
        IReadOnlyList<string> env, string? workingDirectory, string? user, IEnumerable<string>? stdin)
    {
        ContainerId = containerId;
        var psi = new ProcessStartInfo(runtime.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var g in runtime.GlobalArgs) psi.ArgumentList.Add(g);
        psi.ArgumentList.Add("exec");
        foreach (var e in env) { psi.ArgumentList.Add("--env"); psi.ArgumentList.Add(e); }
        if (!string.IsNullOrEmpty(workingDirectory)) { psi.ArgumentList.Add("--cwd"); psi.ArgumentList.Add(workingDirectory); }
        if (!string.IsNullOrEmpty(user)) { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add(user); }
        psi.ArgumentList.Add(containerId);
        foreach (var a in command) psi.ArgumentList.Add(a);

        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(false, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(true, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (stdin != null)
        {
            var input = stdin.ToList();
            Task.Run(() =>
            {
                try
                {
                    foreach (var l in input) _process.StandardInput.WriteLine(l);
                    _process.StandardInput.Close();
                }
                catch (IOException) { }
            });
        }
        else
        {
            _process.StandardInput.Close();
        }
    }

    private void OnLine(bool isError, string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0) _lines.CompleteAdding();
            return;
        }
        _lines.Add(new ExecOutput(isError, line));
    }

    /// <summary>Lines as they come; ends when the process has closed both streams. Cancellation kills
    /// the runtime exec process (the runtime then ends the process in the container).</summary>
    public IEnumerable<ExecOutput> ReadOutput(CancellationToken ct)
    {
        while (true)
        {
            ExecOutput item;
            try
            {
                if (!_lines.TryTake(out item, Timeout.Infinite, ct)) break;
            }
            catch (OperationCanceledException)
            {
                try { _process.Kill(true); } catch (InvalidOperationException) { }
                throw;
            }
            catch (InvalidOperationException) { break; }
            yield return item;
        }
        _process.WaitForExit();
        ExitCode = _process.ExitCode;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(true); } catch (InvalidOperationException) { }
        _process.Dispose();
        _lines.Dispose();
    }
}
