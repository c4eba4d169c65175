using System.Diagnostics;
using System.Globalization;
using PodShell.Engine.Linux;
using PodShell.Engine.Rootless;

namespace PodShell.Engine.Tests.Rootless;

/// <summary>A stand-in for the engine's pause process, made by the test as root: `unshare --user --mount` on a
/// sleep, with the id maps newuidmap would write ("0 uid 1" and "1 start count") written directly (root may map
/// any ids), and recorded in &lt;runRoot&gt;/pause.pid the way UserNamespace records its own. Killed (by its pid)
/// on dispose; its mount namespace and every mount in it go with it.</summary>
internal sealed class TestPauseProcess : IDisposable
{
    private readonly Process _process;

    public TestPauseProcess(string runRoot, uint uid, uint gid, SubordinateRange? uids = null, SubordinateRange? gids = null)
    {
        var psi = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false };
        foreach (var a in new[] { "--user", "--mount", "--propagation", "private", "--", "/bin/sleep", "infinity" }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        Pid = _process.Id;
        try
        {
            string mine = Link("/proc/self/ns/user");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Link($"/proc/{Pid}/ns/user") == mine)
            {
                if (_process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException("unshare did not enter a new user namespace");
                Thread.Sleep(5);
            }
            File.WriteAllText($"/proc/{Pid}/uid_map", Map(uid, uids));
            File.WriteAllText($"/proc/{Pid}/gid_map", Map(gid, gids));
            Directory.CreateDirectory(runRoot);
            File.WriteAllText(Path.Combine(runRoot, "pause.pid"),
                $"{Pid} {ProcStat.StartTime(Pid).ToString(CultureInfo.InvariantCulture)}\n");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Pid { get; }

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? "";

    private static string Map(uint own, SubordinateRange? range) =>
        range is { } r ? $"0 {own} 1\n1 {r.Start} {r.Count}\n" : $"0 {own} 1\n";

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
