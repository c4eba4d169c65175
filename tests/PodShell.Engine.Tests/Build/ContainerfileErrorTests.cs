using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>One bad file per error: the ErrorId, the kind the cmdlet maps to InvalidArgument, and a
/// message that names the file, the line and what is wrong, so the user can go straight to it.</summary>
public sealed class ContainerfileErrorTests
{
    public static TheoryData<string, string, int, string> BadFiles => new()
    {
        { "unknown-instruction", "ContainerfileUnknownInstruction", 4, "'COPPY'" },
        { "unknown-onbuild-trigger", "ContainerfileUnknownInstruction", 2, "'FETCH'" },
        { "run-before-from", "ContainerfileSyntaxError", 2, "RUN before the first FROM" },
        { "unterminated-heredoc", "ContainerfileSyntaxError", 2, "heredoc 'EOF' is not terminated" },
        { "unknown-copy-flag", "ContainerfileSyntaxError", 2, "unknown flag --chmown for COPY" },
        { "shell-not-json", "ContainerfileSyntaxError", 2, "SHELL requires a JSON array" },
        { "env-missing-equals", "ContainerfileSyntaxError", 2, "can't find = in 'B'" },
        { "from-two-words", "ContainerfileSyntaxError", 1, "FROM takes an image" },
        { "no-from", "ContainerfileSyntaxError", 2, "no FROM instruction" },
        { "duplicate-stage", "ContainerfileSyntaxError", 2, "duplicate stage name 'app'" },
        { "bad-escape", "ContainerfileSyntaxError", 1, "invalid escape character 'x'" },
        { "healthcheck-duration", "ContainerfileSyntaxError", 2, "'often' is not a duration" },
        { "copy-one-argument", "ContainerfileSyntaxError", 2, "COPY requires at least one source and a destination" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_file_fails_with_id_file_and_line(string fixture, string errorId, int line, string fragment)
    {
        var path = Fixtures.PathOf(Path.Combine("bad", fixture + ".Containerfile"));
        var e = Assert.Throws<PodShellException>(() => ContainerfileParser.ParseFile(path));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.Equal(path, e.Target);
    }

    [Theory]
    [InlineData("FROM a\nRUN\n", "RUN requires a command")]
    [InlineData("FROM a\nRUN []\n", "RUN [] has no command")]
    [InlineData("FROM a\nCOPY --from a /b\n", "flag --from of COPY needs a value")]
    [InlineData("FROM a\nCOPY --link=yes a /b\n", "--link of COPY is true or false")]
    [InlineData("FROM a\nCOPY --from=x --from=y a /b\n", "duplicate flag --from")]
    [InlineData("FROM a\nWORKDIR --x=1 /a\nRUN --bogus true\n", "unknown flag --bogus for RUN")]
    [InlineData("FROM a\nONBUILD ONBUILD RUN x\n", "ONBUILD ONBUILD is not allowed")]
    [InlineData("FROM a\nHEALTHCHECK NONE CMD true\n", "HEALTHCHECK NONE takes no other arguments")]
    [InlineData("FROM a\nHEALTHCHECK --retries=0 CMD true\n", "--retries must be a whole number")]
    [InlineData("FROM a\nHEALTHCHECK curl x\n", "HEALTHCHECK takes NONE or [options] CMD")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=1ns CMD true\n", "must be 0 or at least 1ms")]
    [InlineData("FROM a\nSTOPSIGNAL TERM KILL\n", "STOPSIGNAL takes exactly one signal")]
    [InlineData("FROM a AS 1st\n", "invalid stage name '1st'")]
    [InlineData("# escape=`\n# escape=\\\nFROM a\n", "only one 'escape' parser directive")]
    [InlineData("FROM a\nARG =x\n", "ARG names can not be blank")]
    [InlineData("FROM a\nLABEL =x\n", "LABEL names can not be blank")]
    [InlineData("FROM a\nENV ONLYKEY\n", "ENV ONLYKEY needs a value")]
    public void Other_syntax_errors_are_ContainerfileSyntaxError(string text, string fragment)
    {
        var e = Assert.Throws<PodShellException>(() => ContainerfileParser.Parse(text, "ctx/Containerfile"));
        Assert.Equal("ContainerfileSyntaxError", e.ErrorId);
        Assert.StartsWith("ctx/Containerfile:", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Flags_on_an_instruction_that_takes_none_are_its_arguments()
    {
        // WORKDIR takes no flags in Docker, so "--x=1 /a" is the path itself (odd, but what Docker does).
        var w = (WorkdirInstruction)ContainerfileParser.Parse("FROM a\nWORKDIR --x=1 /a\n").Stages[0].Instructions[0];
        Assert.Equal("--x=1 /a", w.Path);
    }
}
