namespace PodShell.Engine.Runtime.Spec;

/// <summary>podman --env-file: one KEY=VALUE per line, the value taken literally (no quotes removed, no
/// expansion); lines starting with '#' and blank lines are skipped; a bare KEY takes the caller's value of
/// KEY, and is skipped when the caller has none.</summary>
public static class EnvironmentFile
{
    public static List<KeyValuePair<string, string>> Parse(string text, string source, Func<string, string?> callerValue)
    {
        var result = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            var eq = trimmed.IndexOf('=');
            var key = eq < 0 ? trimmed.TrimEnd() : trimmed[..eq];
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
            {
                throw new PodShellException(ErrorIds.InvalidEnvironmentFile, FailureKind.InvalidArgument,
                    $"{source}, line {lineNumber}: '{line}' is not KEY=VALUE (the name is empty or contains white space).", source);
            }
            if (eq < 0)
            {
                if (callerValue(key) is { } inherited) result.Add(new(key, inherited));
                continue;
            }
            result.Add(new(key, trimmed[(eq + 1)..]));
        }
        return result;
    }

    /// <summary>Reads the files in order, later values winning, then <paramref name="explicitValues"/> on top.</summary>
    public static Dictionary<string, string> Merge(IEnumerable<string> paths, IDictionary<string, string>? explicitValues,
        Func<string, string?> callerValue)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new PodShellException(ErrorIds.EnvironmentFileNotFound, FailureKind.NotFound, $"The environment file '{path}' does not exist.", path, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PodShellException(ErrorIds.InvalidEnvironmentFile, FailureKind.InvalidArgument, $"The environment file '{path}' cannot be read: {e.Message}", path, e);
            }
            foreach (var (k, v) in Parse(text, path, callerValue)) merged[k] = v;
        }
        if (explicitValues != null) foreach (var (k, v) in explicitValues) merged[k] = v;
        return merged;
    }
}
