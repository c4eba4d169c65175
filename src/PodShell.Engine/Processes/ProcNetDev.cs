using System.Globalization;

namespace PodShell.Engine.Processes;

/// <summary>/proc/&lt;pid&gt;/net/dev shows the interfaces of the network namespace that process is in,
/// so the container's own counters are read without setns.</summary>
public static class ProcNetDev
{
    public static (long Received, long Sent) Read(int pid, string procRoot = "/proc")
    {
        try
        {
            return Parse(File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "net", "dev")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    /// <summary>Sums every interface but lo: "iface: rx_bytes rx_packets ... (8 rx fields) tx_bytes ...".</summary>
    public static (long Received, long Sent) Parse(string text)
    {
        long rx = 0, tx = 0;
        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue; // the two header lines have '|' but no ':'
            var name = line[..colon].Trim();
            if (name == "lo") continue;
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 9) continue;
            if (long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var r)) rx += r;
            if (long.TryParse(f[8], NumberStyles.None, CultureInfo.InvariantCulture, out var t)) tx += t;
        }
        return (rx, tx);
    }
}
