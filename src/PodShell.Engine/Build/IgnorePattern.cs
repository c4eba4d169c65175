using System.Text;
using System.Text.RegularExpressions;

namespace PodShell.Engine.Build;

/// <summary>One line of a .containerignore/.dockerignore, cleaned as Docker cleans it (Go's
/// <c>filepath.Clean</c>: <c>./</c>, <c>//</c>, <c>..</c> and a trailing <c>/</c> go, then a leading
/// <c>/</c>), and compiled to a regex with Docker's meaning: <c>*</c> and <c>?</c> stop at '/', <c>**</c>
/// crosses any number of directories (none included), a trailing <c>**</c> matches everything below.</summary>
public sealed class IgnorePattern
{
    public string Pattern { get; }
    /// <summary>A <c>!</c> line: files it matches are sent even if an earlier line excluded them.</summary>
    public bool IsException { get; }
    private readonly Regex _regex;
    private readonly string[] _segments;

    public IgnorePattern(string pattern, bool isException)
    {
        Pattern = pattern;
        IsException = isException;
        _regex = new Regex(ToRegex(pattern), RegexOptions.CultureInvariant);
        _segments = pattern.Split('/');
    }

    public bool Matches(string path) => _regex.IsMatch(path);

    /// <summary>Could this pattern match some path strictly below <paramref name="dir"/>? Compared segment by
    /// segment; a <c>**</c> segment may match anything. Docker's walker used a literal prefix test here
    /// and so missed <c>!*/keep</c> under an excluded <c>dir</c>; this errs toward descending, which costs a
    /// directory read, never a wrong answer (each file is still matched in full).</summary>
    public bool MayMatchBelow(string dir)
    {
        var parts = dir.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (i >= _segments.Length) return false;
            if (_segments[i].Contains("**")) return true;
            if (!SegmentMatches(_segments[i], parts[i])) return false;
        }
        return _segments.Length > parts.Length;
    }

    private static bool SegmentMatches(string pattern, string name)
    {
        try { return PathGlob.IsMatch(pattern, name); }
        catch (FormatException) { return true; }
    }

    /// <summary>Go's filepath.Clean for '/'-separated relative or rooted paths.</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var stack = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (stack.Count > 0 && stack[^1] != "..") stack.RemoveAt(stack.Count - 1);
                else if (!rooted) stack.Add("..");
                continue;
            }
            stack.Add(part);
        }
        var joined = string.Join('/', stack);
        if (rooted) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    i++;
                    // "**/" is "**": the slash belongs to it, so "**/a" matches "a" at the top too.
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++;
                    sb.Append(i + 1 >= pattern.Length ? ".*" : "(.*/)?");
                }
                else sb.Append("[^/]*");
            }
            else if (c == '?') sb.Append("[^/]");
            else if (c == '[')
            {
                int end = ClassEnd(pattern, i);
                var body = pattern[(i + 1)..end];
                sb.Append('[').Append(body.Replace("[", "\\[")).Append(']');
                i = end;
            }
            else if (c == '\\')
            {
                if (++i >= pattern.Length) throw new FormatException($"bad pattern '{pattern}': it ends with a backslash");
                sb.Append(Regex.Escape(pattern[i].ToString()));
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.Append('$').ToString();
    }

    private static int ClassEnd(string pattern, int open)
    {
        for (int j = open + 2; j < pattern.Length; j++)
        {
            if (pattern[j] == '\\') { j++; continue; }
            if (pattern[j] == ']') return j;
        }
        throw new FormatException($"bad pattern '{pattern}': '[' is not closed");
    }
}
