namespace PodShell.Engine.Build;

/// <summary>Go's <c>filepath.Match</c> on '/'-separated paths, which Docker uses for COPY/ADD sources:
/// <c>*</c> is any run of characters except '/', <c>?</c> one character except '/', <c>[...]</c> a class
/// (<c>[^...]</c> negated, ranges <c>a-z</c>), <c>\</c> makes the next character literal. So a pattern
/// matches at a fixed depth, and <c>**</c> is nothing but two stars (<c>COPY **/*.go</c> is <c>*/*.go</c>);
/// only .containerignore gives <c>**</c> a meaning (<see cref="IgnoreMatcher"/>).</summary>
public static class PathGlob
{
    /// <summary>Does the source contain a wildcard Docker would expand (an unescaped <c>*</c>, <c>?</c> or <c>[</c>)?</summary>
    public static bool HasWildcards(string pattern)
    {
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') { i++; continue; }
            if (pattern[i] is '*' or '?' or '[') return true;
        }
        return false;
    }

    /// <summary>A COPY/ADD source against the context (<see cref="IgnoreMatcher.ListContext"/>): a wildcard
    /// source gives the entries it matches in context order, but not entries inside a matched directory (the
    /// directory is copied whole, as Docker's walk skips into it no further); a plain source gives itself
    /// when the context has it, and "." is the whole context. A source is cleaned against the context root,
    /// so "/a", "./a" and "x/../a" are all "a" and ".." cannot climb out of the context.</summary>
    public static IReadOnlyList<string> Resolve(IReadOnlyList<ContextEntry> context, string source)
    {
        var clean = IgnorePattern.Clean("/" + source);
        clean = clean == "/" ? "." : clean[1..];
        if (clean == ".") return new[] { "." };
        if (!HasWildcards(clean))
            return context.Any(e => e.RelativePath == clean) ? new[] { clean } : Array.Empty<string>();
        var matches = new List<string>();
        foreach (var e in context)
        {
            if (matches.Count > 0 && matches.Any(m => e.RelativePath.StartsWith(m + "/", StringComparison.Ordinal))) continue;
            if (IsMatch(clean, e.RelativePath)) matches.Add(e.RelativePath);
        }
        return matches;
    }

    /// <summary>Whole-string match; throws <see cref="FormatException"/> for a malformed pattern (an
    /// unclosed class, a trailing backslash), which Go reports as ErrBadPattern.</summary>
    public static bool IsMatch(string pattern, string name)
    {
        ValidateRest(pattern, 0);
        return Match(pattern, 0, name, 0);
    }

    private static bool Match(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            char c = p[pi];
            if (c == '*')
            {
                while (pi < p.Length && p[pi] == '*') pi++;
                if (pi == p.Length) return s.IndexOf('/', si) < 0;
                // Try every split of the non-separator run the star may take.
                for (int k = si; k <= s.Length; k++)
                {
                    if (Match(p, pi, s, k)) return true;
                    if (k < s.Length && s[k] == '/') break;
                }
                return false;
            }
            if (si >= s.Length) return false;
            if (c == '?')
            {
                if (s[si] == '/') return false;
                pi++; si++;
            }
            else if (c == '[')
            {
                if (!MatchClass(p, ref pi, s[si])) return false;
                si++;
            }
            else
            {
                if (c == '\\')
                {
                    if (++pi >= p.Length) throw new FormatException($"bad pattern '{p}': it ends with a backslash");
                    c = p[pi];
                }
                if (s[si] != c) return false;
                pi++; si++;
            }
        }
        return si == s.Length;
    }

    /// <summary>Go validates the whole pattern even when a match fails early; so do we, so a typo is
    /// reported whether or not a file happened to match up to it.</summary>
    private static void ValidateRest(string p, int pi)
    {
        for (; pi < p.Length; pi++)
        {
            if (p[pi] == '\\') { if (++pi >= p.Length) throw new FormatException($"bad pattern '{p}': it ends with a backslash"); }
            else if (p[pi] == '[') { int j = pi; MatchClass(p, ref j, 'a'); pi = j - 1; }
        }
    }

    private static bool MatchClass(string p, ref int pi, char ch)
    {
        int start = pi;
        pi++; // '['
        bool negated = pi < p.Length && p[pi] == '^';
        if (negated) pi++;
        bool matched = false;
        int count = 0;
        while (true)
        {
            if (pi >= p.Length) throw new FormatException($"bad pattern '{p}': '[' at {start} is not closed");
            if (p[pi] == ']' && count > 0) { pi++; break; }
            char lo = ClassChar(p, ref pi);
            char hi = lo;
            if (pi < p.Length && p[pi] == '-' && pi + 1 < p.Length && p[pi + 1] != ']')
            {
                pi++;
                hi = ClassChar(p, ref pi);
            }
            if (lo <= ch && ch <= hi) matched = true;
            count++;
        }
        return matched != negated;
    }

    private static char ClassChar(string p, ref int pi)
    {
        char c = p[pi++];
        if (c == '\\')
        {
            if (pi >= p.Length) throw new FormatException($"bad pattern '{p}': it ends with a backslash");
            c = p[pi++];
        }
        return c;
    }
}
