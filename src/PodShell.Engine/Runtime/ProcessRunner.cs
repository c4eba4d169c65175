using System.Diagnostics;

namespace PodShell.Engine.Runtime;

/// <summary>Runs a short-lived helper program (runc start/kill/delete) and collects its output.</summary>
internal static class ProcessRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        using var counted = Diagnostics.EngineCounters.EnterProcess(file, args);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new PodShellException(ErrorIds.SpawnFailed, FailureKind.RuntimeFailed, $"Could not start {file}", file);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        var sw = Stopwatch.StartNew();
        while (!p.WaitForExit(50))
        {
            if (ct.IsCancellationRequested || sw.Elapsed > limit)
            {
                try { p.Kill(); } catch (InvalidOperationException) { }
                p.WaitForExit();
                ct.ThrowIfCancellationRequested();
                throw new PodShellException(ErrorIds.RuntimeTimeout, FailureKind.RuntimeFailed, $"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {limit.TotalSeconds:0} s", file);
            }
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
