using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>Docker's builder-side substitution, with the cases of its documentation
/// ("Environment replacement") and the quoting rules of sh.</summary>
public sealed class ShellWordExpanderTests
{
    private static readonly Dictionary<string, string> Vars = new()
    {
        ["NAME"] = "world", ["EMPTY"] = "", ["SPACED"] = "a b", ["DIR"] = "/srv/app",
    };

    private static ShellWordExpander X(char escape = '\\') => new(n => Vars.GetValueOrDefault(n), escape);

    [Theory]
    [InlineData("$NAME", "world")]
    [InlineData("${NAME}", "world")]
    [InlineData("hello_$NAME!", "hello_world!")]
    [InlineData("${NAME}_x", "world_x")]
    [InlineData("$NAME_x", "")] // the name runs on: NAME_x is unset
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET:-fallback}", "fallback")]
    [InlineData("${EMPTY:-fallback}", "fallback")]
    [InlineData("${EMPTY-fallback}", "")]
    [InlineData("${UNSET-fallback}", "fallback")]
    [InlineData("${NAME:-fallback}", "world")]
    [InlineData("${NAME:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${UNSET:+alt}", "")]
    [InlineData("${UNSET:-$DIR/bin}", "/srv/app/bin")]
    [InlineData("${UNSET:-\"quoted default\"}", "quoted default")]
    [InlineData("\\$NAME", "$NAME")]
    [InlineData("\\${NAME}", "${NAME}")]
    [InlineData("'$NAME'", "$NAME")]
    [InlineData("\"$NAME\"", "world")]
    [InlineData("\"a \\\"q\\\" \\$NAME \\n\"", "a \"q\" $NAME \\n")]
    [InlineData("Rex\\ The\\ Dog", "Rex The Dog")]
    [InlineData("costs $5", "costs $5")]
    [InlineData("end$", "end$")]
    [InlineData("\"John Doe\"", "John Doe")]
    public void Expands_like_docker(string word, string expected) => Assert.Equal(expected, X().Expand(word));

    [Fact]
    public void Backtick_escape_escapes_the_dollar_and_leaves_backslashes_alone()
    {
        Assert.Equal("c:\\$NAME", X('`').Expand("c:\\`$NAME"));
        Assert.Equal("c:\\world", X('`').Expand("c:\\$NAME"));
    }

    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("$SPACED /dst", new[] { "a", "b", "/dst" })]
    [InlineData("\"$SPACED\" /dst", new[] { "a b", "/dst" })]
    [InlineData("x\\ y '' z", new[] { "x y", "", "z" })]
    [InlineData("${UNSET:-one two}", new[] { "one", "two" })]
    [InlineData("$UNSET", new string[0])]
    public void Words_split_on_unquoted_whitespace_also_in_values(string text, string[] expected) =>
        Assert.Equal(expected, X().ExpandWords(text));

    [Theory]
    [InlineData("'open", "single quote")]
    [InlineData("\"open", "double quote")]
    [InlineData("${NAME", "bad substitution")]
    [InlineData("${}", "bad substitution")]
    [InlineData("${NAME#prefix}", "unsupported modifier '#'")]
    [InlineData("${UNSET:?must be set}", "UNSET: must be set")]
    [InlineData("${EMPTY:?}", "EMPTY: is not set")]
    [InlineData("${NAME:-open", "missing '}'")]
    public void Malformed_words_throw_FormatException(string word, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<FormatException>(() => X().Expand(word)).Message);

    [Fact]
    public void Required_variable_that_is_set_expands()
    {
        Assert.Equal("world", X().Expand("${NAME:?needed}"));
        Assert.Equal("", X().Expand("${EMPTY?needed}"));
    }

    [Fact]
    public void Heredoc_bodies_expand_dollars_only()
    {
        Assert.Equal("say \"world\" 'world' \\$NAME\n", X().ExpandHeredoc("say \"$NAME\" '${NAME}' \\$NAME\n"));
    }
}
