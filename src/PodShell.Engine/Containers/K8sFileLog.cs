using System.Globalization;

namespace PodShell.Engine.Containers;

/// <summary>Reads conmon's k8s-file log: "&lt;RFC3339Nano with offset&gt; &lt;stdout|stderr&gt; &lt;F|P&gt; &lt;bytes&gt;".
/// A P (partial) record has no newline of its own; it is joined with the following records of the same
/// stream up to the next F, as podman logs does.</summary>
public static class K8sFileLog
{
    public static IEnumerable<ContainerLogEntry> Read(string path)
    {
        if (!File.Exists(path)) yield break;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs);
        foreach (var e in Parse(reader)) yield return e;
    }

    public static IEnumerable<ContainerLogEntry> Parse(TextReader reader)
    {
        var partial = new Dictionary<string, (DateTime Time, System.Text.StringBuilder Text)>();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            var parts = line.Split(' ', 4);
            if (parts.Length < 3) continue;
            if (!DateTime.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
                continue;
            var stream = parts[1];
            var tag = parts[2];
            var text = parts.Length == 4 ? parts[3] : "";
            if (tag == "P")
            {
                if (!partial.TryGetValue(stream, out var p)) partial[stream] = p = (time, new System.Text.StringBuilder());
                p.Text.Append(text);
                continue;
            }
            if (partial.Remove(stream, out var prev))
            {
                prev.Text.Append(text);
                yield return new ContainerLogEntry { Time = prev.Time, Stream = stream, Line = prev.Text.ToString() };
            }
            else
            {
                yield return new ContainerLogEntry { Time = time, Stream = stream, Line = text };
            }
        }
        // A partial line at the end of the file is output that has not been finished yet: show it.
        foreach (var (stream, p) in partial)
            yield return new ContainerLogEntry { Time = p.Time, Stream = stream, Line = p.Text.ToString() };
    }
}
