using System.Globalization;

namespace PodShell.Engine.Linux;

/// <summary>The calling process's effective capability set, as the kernel reports it in /proc/self/status.
/// Reading the text avoids capget(2) and its versioned header structs.</summary>
internal static class Capabilities
{
    public const int CAP_SYS_RESOURCE = 24;

    /// <summary>The CapEff mask of the current process.</summary>
    public static ulong ReadEffective() => ParseStatusField(File.ReadAllText("/proc/self/status"), "CapEff");

    public static bool HasEffective(int capability) => (ReadEffective() & (1UL << capability)) != 0;

    /// <summary>Parses a hex capability line ("CapEff:\t000001fffeffffff") out of /proc/&lt;pid&gt;/status text.</summary>
    internal static ulong ParseStatusField(string statusText, string field)
    {
        foreach (var line in statusText.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || !line.AsSpan(0, colon).SequenceEqual(field))
            {
                continue;
            }
            var hex = line.AsSpan(colon + 1).Trim();
            if (ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask))
            {
                return mask;
            }
            throw new FormatException($"/proc status field {field} is not a hex mask: '{hex.ToString()}'");
        }
        throw new FormatException($"/proc status has no {field} line");
    }
}
