using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>Process identity that survives pid reuse: a pid plus its start time (field 22 of
/// /proc/&lt;pid&gt;/stat, in clock ticks since boot). A stored pid alone is never trusted.</summary>
public static class ProcStat
{
    public static uint EffectiveUid => LibC.geteuid();
    public static uint EffectiveGid => LibC.getegid();

    /// <summary>Start time of pid, or 0 when the process does not exist.</summary>
    public static ulong StartTime(int pid, string procRoot = "/proc")
    {
        if (pid <= 0) return 0;
        try
        {
            var s = File.ReadAllText($"{procRoot}/{pid}/stat");
            // comm (field 2) may contain spaces and parens: split after the last ')'.
            var rest = s[(s.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state), so field 22 is rest[19].
            return ulong.Parse(rest[19]);
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>The process state letter (R, S, Z, ...), or '\0' when gone.</summary>
    public static char State(int pid)
    {
        try
        {
            var s = File.ReadAllText($"/proc/{pid}/stat");
            return s[s.LastIndexOf(')') + 2];
        }
        catch (IOException) { return '\0'; }
    }

    /// <summary>The task's name (/proc/pid/comm), or null when gone.</summary>
    public static string? Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>True when pid is alive (not a zombie) and started at <paramref name="startTime"/>.</summary>
    public static bool IsAlive(int pid, ulong startTime)
    {
        if (pid <= 0) return false;
        var st = StartTime(pid);
        if (st == 0 || (startTime != 0 && st != startTime)) return false;
        return State(pid) != 'Z';
    }

    public static (int Pid, ulong Start) Self()
    {
        int pid = Environment.ProcessId;
        return (pid, StartTime(pid));
    }

    /// <summary>Send a signal; false when the process is gone.</summary>
    public static bool Signal(int pid, int sig) => LibC.kill(pid, sig) == 0;
}
