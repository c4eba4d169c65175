namespace PodShell.Engine.Runtime;

/// <summary>Signal names as images and users write them ("SIGTERM", "TERM", "15", "SIGRTMIN+3").</summary>
public static class Signals
{
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["IOT"] = 6, ["BUS"] = 7,
        ["FPE"] = 8, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14,
        ["TERM"] = 15, ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21,
        ["TTOU"] = 22, ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28,
        ["IO"] = 29, ["POLL"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    public const int SigRtMin = 34, SigRtMax = 64;

    /// <summary>The signal number; "InvalidSignal" for anything else.</summary>
    public static int Parse(string text)
    {
        var t = text.Trim();
        if (int.TryParse(t, out var n) && n is >= 1 and <= SigRtMax) return n;
        if (t.StartsWith("SIG", StringComparison.OrdinalIgnoreCase)) t = t[3..];
        if (Numbers.TryGetValue(t, out n)) return n;
        if (t.StartsWith("RTMIN", StringComparison.OrdinalIgnoreCase))
        {
            var off = t[5..];
            if (off.Length == 0) return SigRtMin;
            if (off[0] == '+' && int.TryParse(off[1..], out var k) && SigRtMin + k <= SigRtMax) return SigRtMin + k;
        }
        if (t.StartsWith("RTMAX", StringComparison.OrdinalIgnoreCase))
        {
            var off = t[5..];
            if (off.Length == 0) return SigRtMax;
            if (off[0] == '-' && int.TryParse(off[1..], out var k) && SigRtMax - k >= SigRtMin) return SigRtMax - k;
        }
        throw new PodShellException(ErrorIds.InvalidSignal, FailureKind.InvalidArgument, $"'{text}' is not a signal name or number (e.g. SIGTERM, TERM, 15).", text);
    }
}
