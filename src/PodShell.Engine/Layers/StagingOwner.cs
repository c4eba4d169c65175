using System.Globalization;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>The owner written into a staging dir's "incomplete" marker: pid and /proc start time, so a reused pid is
/// not taken for the process that started the layer.</summary>
internal static class StagingOwner
{
    public static string Line()
    {
        int pid = ProcessIdentity.CurrentPid;
        ulong start = ProcessIdentity.StartTime(pid) ?? 0;
        return $"{pid} {start}\n";
    }

    /// <summary>Whether the process named in the marker still runs (gone, a zombie or a reused pid: not alive).</summary>
    public static bool IsAlive(string markerPath)
    {
        string text;
        try { text = File.ReadAllText(markerPath); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return false; }
        string[] parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start)
            && ProcessIdentity.IsAlive(pid, start);
    }
}
