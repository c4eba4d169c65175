using System.Text;
using System.Text.RegularExpressions;

namespace PodShell.Engine.Build;

/// <summary>Containerfile (Dockerfile) text to a <see cref="Containerfile"/>. The line rules are Docker's
/// (BuildKit's dockerfile frontend, which podman's buildah follows): parser directives only before anything
/// else, <c>#</c> comments only at the start of a line (also between continued lines, where blank lines are
/// skipped too), continued lines joined without a separator, heredoc bodies taken verbatim.</summary>
public static partial class ContainerfileParser
{
    // A directive is "# name=value" on the first lines; an unknown name is an ordinary comment and ends them.
    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")]
    private static partial Regex Directive();

    private static readonly HashSet<string> KnownDirectives = new(StringComparer.OrdinalIgnoreCase) { "escape", "syntax", "check" };
    internal static readonly HashSet<string> HeredocKeywords = new(StringComparer.Ordinal) { "RUN", "COPY", "ADD" };

    public static Containerfile ParseFile(string path) => Parse(File.ReadAllText(path), path);

    public static Containerfile Parse(string text, string fileName = "Containerfile")
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int i = ReadDirectives(lines, fileName, out char escape, out string? syntax);
        var parsed = new List<Instruction>();
        while (i < lines.Length)
        {
            if (IsCommentOrBlank(lines[i])) { i++; continue; }
            parsed.Add(ReadInstruction(lines, ref i, fileName, escape));
        }
        return Assemble(parsed, fileName, escape, syntax, lines.Length);
    }

    private static int ReadDirectives(string[] lines, string file, out char escape, out string? syntax)
    {
        escape = '\\';
        syntax = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        for (; i < lines.Length; i++)
        {
            var m = Directive().Match(lines[i].Trim());
            if (!m.Success || !KnownDirectives.Contains(m.Groups[1].Value)) break;
            var name = m.Groups[1].Value.ToLowerInvariant();
            if (!seen.Add(name)) throw ContainerfileErrors.Syntax(file, i + 1, $"only one '{name}' parser directive can be used");
            var value = m.Groups[2].Value;
            if (name == "escape")
            {
                if (value != "\\" && value != "`")
                    throw ContainerfileErrors.Syntax(file, i + 1, $"invalid escape character '{value}': it must be ` or \\");
                escape = value[0];
            }
            // "syntax" names a BuildKit frontend image; podman ignores it, so do we (it is kept for the record).
            else if (name == "syntax") syntax = value;
        }
        return i;
    }

    private static bool IsCommentOrBlank(string line)
    {
        var t = line.TrimStart();
        return t.Length == 0 || t[0] == '#';
    }

    /// <summary>The line without a trailing escape char (and whitespace after it), when it has one.</summary>
    private static bool EndsWithContinuation(string line, char escape, out string body)
    {
        var t = line.TrimEnd(' ', '\t');
        if (t.Length > 0 && t[^1] == escape) { body = t[..^1]; return true; }
        body = line;
        return false;
    }

    private static Instruction ReadInstruction(string[] lines, ref int i, string file, char escape)
    {
        int first = i;
        var logical = new StringBuilder();
        var current = lines[i].TrimStart();
        while (true)
        {
            if (!EndsWithContinuation(current, escape, out var body)) { logical.Append(current); break; }
            logical.Append(body);
            int next = i + 1;
            while (next < lines.Length && IsCommentOrBlank(lines[next])) next++;
            if (next >= lines.Length) break; // a file may end with a continuation; Docker accepts it
            i = next;
            current = lines[i];
        }
        var text = logical.ToString().Trim();
        int split = 0;
        while (split < text.Length && !char.IsWhiteSpace(text[split])) split++;
        var keyword = text[..split].ToUpperInvariant();
        var rest = text[split..].Trim();
        var heredocs = ReadHeredocs(lines, ref i, file, escape, keyword, rest, first + 1);
        var original = string.Join("\n", lines[first..(i + 1)]);
        i++;
        var ctx = new InstructionContext(file, first + 1, i, original, escape, heredocs);
        return InstructionParser.Parse(keyword, rest, ctx);
    }

    /// <summary>Bodies of the heredocs the instruction line names, read after its last line; moves
    /// <paramref name="i"/> to the last terminator.</summary>
    private static List<Heredoc> ReadHeredocs(string[] lines, ref int i, string file, char escape, string keyword, string rest, int line)
    {
        var result = new List<Heredoc>();
        var target = keyword;
        var args = rest;
        if (keyword == "ONBUILD")
        {
            // ONBUILD RUN <<EOF: the trigger's heredoc belongs to the trigger.
            int sp = 0;
            while (sp < rest.Length && !char.IsWhiteSpace(rest[sp])) sp++;
            target = rest[..sp].ToUpperInvariant();
            args = rest[sp..];
        }
        if (!HeredocKeywords.Contains(target) || ArgumentSyntax.TryParseJsonArray(args) != null) return result;
        foreach (var (name, expand, strip) in HeredocSyntax.FindMarkers(args, escape))
        {
            var body = new StringBuilder();
            while (true)
            {
                i++;
                if (i >= lines.Length)
                    throw ContainerfileErrors.Syntax(file, line, $"heredoc '{name}' is not terminated (no line '{name}' follows)");
                var l = strip ? lines[i].TrimStart('\t') : lines[i];
                if (l == name) break;
                body.Append(l).Append('\n');
            }
            result.Add(new Heredoc(name, body.ToString(), expand, strip));
        }
        return result;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9\-_\.]*$")]
    private static partial Regex StageName();

    private static Containerfile Assemble(List<Instruction> parsed, string file, char escape, string? syntax, int lineCount)
    {
        var globals = new List<ArgInstruction>();
        var stages = new List<BuildStage>();
        FromInstruction? from = null;
        var body = new List<Instruction>();
        void Close()
        {
            if (from != null) stages.Add(new BuildStage(stages.Count, from.StageName, from, body.ToArray()));
            body.Clear();
        }
        foreach (var ins in parsed)
        {
            if (ins is FromInstruction f)
            {
                Close();
                if (f.StageName != null)
                {
                    if (!StageName().IsMatch(f.StageName))
                        throw ContainerfileErrors.Syntax(file, f.Line, $"invalid stage name '{f.StageName}': use letters, digits, '-', '_' and '.', starting with a letter");
                    if (stages.Any(s => s.Name == f.StageName))
                        throw ContainerfileErrors.Syntax(file, f.Line, $"duplicate stage name '{f.StageName}'");
                }
                from = f;
            }
            else if (from == null)
            {
                // Before the first FROM only ARG may appear: there is no stage to apply anything else to.
                if (ins is ArgInstruction a) globals.Add(a);
                else throw ContainerfileErrors.Syntax(file, ins.Line, $"{ins.Keyword} before the first FROM: only ARG may precede FROM");
            }
            else body.Add(ins);
        }
        Close();
        if (stages.Count == 0)
            throw ContainerfileErrors.Syntax(file, Math.Max(1, lineCount), "no FROM instruction: a Containerfile needs at least one stage");
        return new Containerfile(file, escape, syntax, globals, stages);
    }
}

/// <summary>What the instruction parser needs to know about the lines it came from.</summary>
internal sealed record InstructionContext(string File, int Line, int EndLine, string Original, char Escape, IReadOnlyList<Heredoc> Heredocs);
