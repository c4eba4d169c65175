using System.Globalization;

namespace PodShell.Engine.Linux;

/// <summary>A process named by pid plus its start time (field 22 of /proc/pid/stat, clock ticks since boot):
/// a pid alone is reused after the process dies, the pair is not.</summary>
internal static class ProcessIdentity
{
    public static int CurrentPid => Environment.ProcessId;

    /// <summary>The start time, or null when no such process exists.</summary>
    public static ulong? StartTime(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return null; }
        // The comm field (2) is in parentheses and may itself contain spaces and ')': parse after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        string[] fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    /// <summary>True when the process runs and started at <paramref name="startTime"/>. A zombie is dead: a killed
    /// process keeps its /proc entry (and start time) until its parent reaps it.</summary>
    public static bool IsAlive(int pid, ulong startTime) => pid > 0 && StartTime(pid) == startTime && State(pid) != 'Z';

    /// <summary>Field 3 of /proc/pid/stat (R, S, D, Z, T...), or '\0' when there is no such process.</summary>
    private static char State(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return '\0'; }
        int close = text.LastIndexOf(')');
        return close >= 0 && close + 2 < text.Length ? text[close + 2] : '\0';
    }
}
