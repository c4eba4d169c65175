namespace PodShell.Engine.Build;

/// <summary>A relative path (or directory) of the build context, and whether it is a directory.</summary>
public sealed record ContextEntry(string RelativePath, bool IsDirectory);

/// <summary>.containerignore / .dockerignore with Docker's rules: one pattern a line, <c>#</c> lines and blank
/// lines skipped, surrounding whitespace trimmed, <c>!</c> for an exception; the LAST pattern that matches a
/// path decides, and a pattern matching a parent directory matches everything in it. So
/// <c>*.md</c>, <c>!README*.md</c>, <c>README-secret.md</c> sends every README but the secret one.</summary>
public sealed class IgnoreMatcher
{
    /// <summary>The file names looked for in the context directory, in podman's order of preference.</summary>
    public static readonly IReadOnlyList<string> FileNames = new[] { ".containerignore", ".dockerignore" };

    public IReadOnlyList<IgnorePattern> Patterns { get; }
    private readonly bool _hasExceptions;

    public IgnoreMatcher(IReadOnlyList<IgnorePattern> patterns)
    {
        Patterns = patterns;
        _hasExceptions = patterns.Any(p => p.IsException);
    }

    public static IgnoreMatcher Empty { get; } = new(Array.Empty<IgnorePattern>());

    /// <summary>The ignore file of a context directory (.containerignore, else .dockerignore), or
    /// <see cref="Empty"/> when it has none.</summary>
    public static IgnoreMatcher Load(string contextDirectory)
    {
        foreach (var name in FileNames)
        {
            var path = Path.Combine(contextDirectory, name);
            if (File.Exists(path)) return Parse(File.ReadAllText(path), path);
        }
        return Empty;
    }

    public static IgnoreMatcher Parse(string text, string fileName = ".containerignore")
    {
        var patterns = new List<IgnorePattern>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            bool exception = line[0] == '!';
            if (exception) line = line[1..].Trim();
            if (line.Length == 0)
                throw ContainerfileErrors.Syntax(fileName, n + 1, "'!' needs a pattern after it");
            line = IgnorePattern.Clean(line);
            if (line.Length > 1 && line[0] == '/') line = line[1..];
            try { patterns.Add(new IgnorePattern(line, exception)); }
            catch (FormatException e) { throw ContainerfileErrors.Syntax(fileName, n + 1, e.Message); }
        }
        return new IgnoreMatcher(patterns);
    }

    /// <summary>Is the path left out of the context? Files and directories are matched alike, as Docker does
    /// (a trailing '/' in a pattern is cleaned away, so <c>build/</c> also leaves out a file named build);
    /// <paramref name="isDirectory"/> lets the answer for a directory say "excluded" while
    /// <see cref="MayIncludeBeneath"/> still tells a walker to look inside.</summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        var path = IgnorePattern.Clean(relativePath.TrimStart('/'));
        if (path == "." || Patterns.Count == 0) return false;
        var parents = ParentDirectories(path);
        bool excluded = false;
        foreach (var p in Patterns)
        {
            // An exclusion cannot change an excluded path, nor an exception an included one.
            if (p.IsException != excluded) continue;
            bool match = p.Matches(path) || parents.Any(p.Matches);
            if (match) excluded = !p.IsException;
        }
        return excluded;
    }

    /// <summary>For an excluded directory: might an exception re-include something inside it? Then a walker
    /// must descend (<c>build</c>, <c>!build/keep.txt</c> sends build/keep.txt).</summary>
    public bool MayIncludeBeneath(string relativeDirectory)
    {
        if (!_hasExceptions) return false;
        var dir = IgnorePattern.Clean(relativeDirectory.TrimStart('/'));
        return Patterns.Any(p => p.IsException && p.MayMatchBelow(dir));
    }

    private static List<string> ParentDirectories(string path)
    {
        var result = new List<string>();
        for (int i = path.IndexOf('/'); i >= 0; i = path.IndexOf('/', i + 1)) result.Add(path[..i]);
        return result;
    }

    /// <summary>The context a build may COPY from: every entry of <paramref name="contextDirectory"/> that is
    /// not excluded, as '/'-separated relative paths in ordinal order, parents before children. Symbolic
    /// links are entries, never followed (Docker sends the link). A re-included file inside an excluded
    /// directory is listed without that directory; the copier creates parents as it needs them. Docker
    /// always sends the Containerfile and the ignore file itself, but COPY does not see them when excluded,
    /// which is what this list is for.</summary>
    public IReadOnlyList<ContextEntry> ListContext(string contextDirectory)
    {
        var result = new List<ContextEntry>();
        Walk(new DirectoryInfo(contextDirectory), "", result);
        return result;
    }

    private void Walk(DirectoryInfo dir, string prefix, List<ContextEntry> result)
    {
        var children = dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal);
        foreach (var info in children)
        {
            var rel = prefix + info.Name;
            bool isDir = info is DirectoryInfo && !info.Attributes.HasFlag(FileAttributes.ReparsePoint);
            bool excluded = IsExcluded(rel, isDir);
            if (!excluded) result.Add(new ContextEntry(rel, isDir));
            if (isDir && (!excluded || MayIncludeBeneath(rel))) Walk((DirectoryInfo)info, rel + "/", result);
        }
    }
}
