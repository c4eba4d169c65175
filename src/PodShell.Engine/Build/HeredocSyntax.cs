using System.Text.RegularExpressions;

namespace PodShell.Engine.Build;

/// <summary>Here-document markers of RUN, COPY and ADD: <c>&lt;&lt;EOF</c>, <c>&lt;&lt;-EOF</c> (leading tabs
/// stripped from the body and the terminator) and <c>&lt;&lt;"EOF"</c> / <c>&lt;&lt;'EOF'</c> (no expansion).
/// Names may contain dots, because Docker's examples name the file a COPY heredoc creates
/// (<c>COPY &lt;&lt;robots.txt &lt;&lt;humans.txt /html/</c>). <c>&lt;&lt;&lt;</c> (a bash here-string) is not a marker.</summary>
public static partial class HeredocSyntax
{
    [GeneratedRegex(@"^<<(-?)(?:""([^""\s]+)""|'([^'\s]+)'|([^\s'""<>|;&()]+))$")]
    private static partial Regex Marker();

    public static bool TryParseMarker(string word, out string name, out bool expand, out bool stripTabs)
    {
        var m = Marker().Match(word);
        name = ""; expand = true; stripTabs = false;
        if (!m.Success) return false;
        stripTabs = m.Groups[1].Length > 0;
        if (m.Groups[2].Success) { name = m.Groups[2].Value; expand = false; }
        else if (m.Groups[3].Success) { name = m.Groups[3].Value; expand = false; }
        else name = m.Groups[4].Value;
        return true;
    }

    /// <summary>The markers of one instruction line, in order (several may share a line; their bodies
    /// follow one after the other).</summary>
    internal static List<(string Name, bool Expand, bool StripTabs)> FindMarkers(string text, char escape)
    {
        var found = new List<(string, bool, bool)>();
        foreach (var w in ArgumentSyntax.SplitWords(text, escape))
            if (TryParseMarker(w, out var n, out var e, out var s)) found.Add((n, e, s));
        return found;
    }
}
