using System.Text;
using System.Text.Json;

namespace PodShell.Engine.Build;

/// <summary>The word-level syntax shared by the instructions: flags, JSON arrays, words and KEY=VALUE
/// pairs. Words keep their quotes and escapes: removing them is expansion's job, because a quoted
/// <c>'$X'</c> must not expand.</summary>
internal static class ArgumentSyntax
{
    /// <summary>Splits on whitespace outside quotes. Docker splits COPY/ADD/EXPOSE/VOLUME on whitespace only,
    /// so <c>COPY "a b" /d</c> fails there; honouring quotes here gives the same words for every file Docker
    /// accepts and a useful result for that one.</summary>
    public static List<string> SplitWords(string text, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote == '\0' && char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            word.Append(c);
            if (c == escape && quote != '\'' && i + 1 < text.Length) { word.Append(text[++i]); continue; }
            if (quote == '\0' && (c == '"' || c == '\'')) quote = c;
            else if (c == quote) quote = '\0';
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>Leading <c>--name[=value]</c> words; a bare <c>--</c> ends them. Returns the rest of the text.</summary>
    public static string ExtractFlags(string text, char escape, List<InstructionFlag> flags)
    {
        var rest = text.TrimStart();
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            int end = 0;
            char quote = '\0';
            for (; end < rest.Length; end++)
            {
                char c = rest[end];
                if (quote == '\0' && char.IsWhiteSpace(c)) break;
                if (c == escape && quote != '\'' && end + 1 < rest.Length) { end++; continue; }
                if (quote == '\0' && (c == '"' || c == '\'')) quote = c;
                else if (c == quote) quote = '\0';
            }
            var word = rest[..end];
            rest = rest[end..].TrimStart();
            if (word == "--") break;
            int eq = word.IndexOf('=');
            flags.Add(eq < 0 ? new InstructionFlag(word[2..], null) : new InstructionFlag(word[2..eq], word[(eq + 1)..]));
        }
        return rest;
    }

    /// <summary>A JSON array of strings, or null when the text is not one. Docker falls back to the shell
    /// form for anything else, so <c>RUN [ -f x ]</c> is a shell test, not a JSON error.</summary>
    public static List<string>? TryParseJsonArray(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith('[') || !t.EndsWith(']')) return null;
        try
        {
            using var doc = JsonDocument.Parse(t);
            var list = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) return null;
                list.Add(e.GetString()!);
            }
            return list;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>ENV and LABEL: <c>KEY=VALUE ...</c>, or the legacy <c>KEY VALUE</c> where the value is the
    /// rest of the line. Returns an error text instead of throwing so the caller adds file and line.</summary>
    public static List<KeyValue> ParseKeyValues(string keyword, string text, char escape, out string? error)
    {
        error = null;
        var words = SplitWords(text, escape);
        var pairs = new List<KeyValue>();
        if (words.Count == 0) { error = $"{keyword} requires at least one argument"; return pairs; }
        if (!words[0].Contains('='))
        {
            // Legacy form: one key, and everything after the first run of whitespace is its value.
            var t = text.Trim();
            int ws = 0;
            while (ws < t.Length && !char.IsWhiteSpace(t[ws])) ws++;
            var value = t[ws..].Trim();
            if (value.Length == 0) { error = $"{keyword} {words[0]} needs a value (write {words[0]}=value)"; return pairs; }
            pairs.Add(new KeyValue(words[0], value));
            return pairs;
        }
        foreach (var w in words)
        {
            int eq = w.IndexOf('=');
            if (eq < 0) { error = $"{keyword}: can't find = in '{w}', it must be of the form name=value"; return pairs; }
            if (eq == 0) { error = $"{keyword} names can not be blank ('{w}')"; return pairs; }
            pairs.Add(new KeyValue(w[..eq], w[(eq + 1)..]));
        }
        return pairs;
    }
}
