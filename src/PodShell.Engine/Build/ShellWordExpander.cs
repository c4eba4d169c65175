using System.Text;

namespace PodShell.Engine.Build;

/// <summary>Docker's builder-side variable expansion (BuildKit's shell lexer, the subset Dockerfiles use):
/// <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>, <c>${VAR:+alt}</c>,
/// <c>${VAR+alt}</c>, <c>${VAR:?message}</c>, <c>${VAR?message}</c>; single quotes are literal, double quotes
/// expand, the escape char makes the next char literal (inside double quotes only before <c>"</c>, <c>$</c>
/// and itself, as in sh). Quotes are removed. An unset variable is empty. Throws
/// <see cref="FormatException"/> for unterminated quotes, bad substitutions and <c>:?</c> on an unset name;
/// the caller adds the file and line.</summary>
public sealed class ShellWordExpander
{
    private readonly Func<string, string?> _lookup;
    private readonly char _escape;

    public ShellWordExpander(Func<string, string?> lookup, char escape = '\\')
    {
        _lookup = lookup;
        _escape = escape;
    }

    /// <summary>One word (WORKDIR, USER, an ENV value): quotes removed, whitespace kept.</summary>
    public string Expand(string word)
    {
        var sb = new StringBuilder();
        foreach (var p in new Lexer(this, word).ScanAll()) sb.Append(p.Text);
        return sb.ToString();
    }

    /// <summary>Several words (COPY sources, EXPOSE, VOLUME): split on whitespace outside quotes, and, as in
    /// the shell, inside the value of an unquoted variable, so <c>ARG FILES="a b"</c> + <c>COPY $FILES /d</c>
    /// copies two files.</summary>
    public IReadOnlyList<string> ExpandWords(string text)
    {
        var words = new List<string>();
        var cur = new StringBuilder();
        bool inWord = false;
        foreach (var p in new Lexer(this, text).ScanAll())
        {
            if (!p.Splittable) { cur.Append(p.Text); inWord = true; continue; }
            foreach (var c in p.Text)
            {
                if (char.IsWhiteSpace(c))
                {
                    if (inWord) { words.Add(cur.ToString()); cur.Clear(); inWord = false; }
                }
                else { cur.Append(c); inWord = true; }
            }
        }
        if (inWord) words.Add(cur.ToString());
        return words;
    }

    /// <summary>A COPY heredoc body: only <c>$</c> substitutions; quotes and escape chars stay as written
    /// (BuildKit's raw mode for heredocs), and an escape char keeps the next char literal, so
    /// <c>\$HOME</c> stays <c>\$HOME</c>.</summary>
    public string ExpandHeredoc(string text) => new Lexer(this, text).Raw();

    /// <summary>A run of output text; Splittable is false for quoted and escaped text.</summary>
    private readonly record struct Piece(string Text, bool Splittable);

    private sealed class Lexer
    {
        private readonly ShellWordExpander _x;
        private readonly string _s;
        private int _pos;

        public Lexer(ShellWordExpander x, string s) { _x = x; _s = s; }

        public List<Piece> ScanAll()
        {
            var pieces = new List<Piece>();
            Scan(pieces, '\0');
            return pieces;
        }

        public string Raw()
        {
            var sb = new StringBuilder();
            while (_pos < _s.Length)
            {
                char c = _s[_pos++];
                if (c == _x._escape && _pos < _s.Length) sb.Append(c).Append(_s[_pos++]);
                else if (c == '$') sb.Append(Dollar());
                else sb.Append(c);
            }
            return sb.ToString();
        }

        /// <summary>Until the end, or until <paramref name="stop"/> (consumed) for the word of a modifier.</summary>
        private void Scan(List<Piece> into, char stop)
        {
            while (_pos < _s.Length)
            {
                char c = _s[_pos++];
                if (stop != '\0' && c == stop) return;
                if (c == _x._escape)
                {
                    // A trailing escape char stays as it is: there is nothing for it to escape.
                    into.Add(new Piece(_pos < _s.Length ? _s[_pos++].ToString() : c.ToString(), false));
                }
                else if (c == '\'')
                {
                    int end = _s.IndexOf('\'', _pos);
                    if (end < 0) throw new FormatException("unexpected end of text looking for the closing single quote");
                    into.Add(new Piece(_s[_pos..end], false));
                    _pos = end + 1;
                }
                else if (c == '"') into.Add(new Piece(DoubleQuoted(), false));
                else if (c == '$') into.Add(new Piece(Dollar(), true));
                else into.Add(new Piece(c.ToString(), true));
            }
            if (stop != '\0') throw new FormatException($"missing '{stop}' in variable substitution");
        }

        private string DoubleQuoted()
        {
            var sb = new StringBuilder();
            while (_pos < _s.Length)
            {
                char c = _s[_pos++];
                if (c == '"') return sb.ToString();
                if (c == _x._escape && _pos < _s.Length && (_s[_pos] == '"' || _s[_pos] == '$' || _s[_pos] == _x._escape))
                    sb.Append(_s[_pos++]);
                else if (c == '$') sb.Append(Dollar());
                else sb.Append(c);
            }
            throw new FormatException("unexpected end of text looking for the closing double quote");
        }

        private static bool IsNameChar(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);

        private string ReadName()
        {
            int start = _pos;
            while (_pos < _s.Length && IsNameChar(_s[_pos])) _pos++;
            return _s[start.._pos];
        }

        private string Dollar()
        {
            if (_pos >= _s.Length) return "$";
            char c = _s[_pos];
            if (c != '{')
            {
                // "$" not followed by a name is a literal dollar ("costs $5" stays as written).
                if (c != '_' && !char.IsAsciiLetter(c)) return "$";
                return _x._lookup(ReadName()) ?? "";
            }
            _pos++;
            var name = ReadName();
            if (name.Length == 0 || _pos >= _s.Length) throw new FormatException("bad substitution: a ${...} needs a variable name and a closing '}'");
            if (_s[_pos] == '}') { _pos++; return _x._lookup(name) ?? ""; }
            bool colon = _s[_pos] == ':';
            if (colon) _pos++;
            char mod = _pos < _s.Length ? _s[_pos++] : '\0';
            if (mod is not ('-' or '+' or '?'))
                throw new FormatException($"unsupported modifier '{(colon ? ":" : "")}{mod}' in ${{{name}...}}: use :-, -, :+, +, :? or ?");
            var parts = new List<Piece>();
            Scan(parts, '}');
            var word = string.Concat(parts.Select(p => p.Text));
            var value = _x._lookup(name);
            // With the colon an empty value counts as unset, as in sh.
            bool set = colon ? !string.IsNullOrEmpty(value) : value != null;
            return mod switch
            {
                '-' => set ? value! : word,
                '+' => set ? word : "",
                _ => set ? value! : throw new FormatException($"{name}: {(word.Length > 0 ? word : "is not set")}"),
            };
        }
    }
}
