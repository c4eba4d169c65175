using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>The line-level rules on the fixtures: continuations, comments and blank lines inside them,
/// directives, heredocs, ONBUILD, HEALTHCHECK, JSON versus shell form.</summary>
public sealed class ContainerfileSyntaxTests
{
    [Fact]
    public void Continuations_drop_comment_and_blank_lines_and_join_without_separator()
    {
        var stage = Fixtures.Parse("alpine-continuations").Stages[0];
        var run = (RunInstruction)stage.Instructions[2];
        Assert.Equal("apk add --no-cache         curl         git         tzdata &&     rm -rf /var/cache/apk/*", run.Command.ShellText);
        Assert.Equal((4, 11), (run.Line, run.EndLine));
        Assert.Contains("# the HTTP client for health probes", run.Original);
        var lower = (RunInstruction)stage.Instructions[3];
        Assert.Equal(("RUN", "echo \"lower case keyword, indented\"", 12), (lower.Keyword, lower.Command.ShellText, lower.Line));
        Assert.Equal("Jane Doe <jane@example.org>", ((MaintainerInstruction)stage.Instructions[0]).Maintainer);
        Assert.Equal(new KeyValue("maintainer", "Jane Doe <jane@example.org>"), ((MaintainerInstruction)stage.Instructions[0]).Label);
        Assert.Equal(new KeyValue("APP_HOME", "/srv/my app"), ((EnvInstruction)stage.Instructions[1]).Variables.Single());
        Assert.Equal("SIGQUIT", ((StopSignalInstruction)stage.Instructions[4]).Signal);
        Assert.Equal("$APP_HOME", ((WorkdirInstruction)stage.Instructions[5]).Path);
    }

    [Fact]
    public void Escape_directive_makes_backtick_the_continuation_and_backslash_a_plain_character()
    {
        var file = Fixtures.Parse("escape-backtick");
        Assert.Equal('`', file.EscapeChar);
        var s = file.Stages[0];
        Assert.Equal(new[] { "testfile.txt" }, ((CopyInstruction)s.Instructions[0]).Sources);
        Assert.Equal("c:\\", ((CopyInstruction)s.Instructions[0]).Destination);
        Assert.Equal("dir c:\\", ((RunInstruction)s.Instructions[1]).Command.ShellText);
        Assert.Equal("powershell -Command     Write-Host hello;     Write-Host world", ((RunInstruction)s.Instructions[2]).Command.ShellText);
        Assert.Equal(new KeyValue("GREETING", "hello` world"), ((EnvInstruction)s.Instructions[3]).Variables.Single());
    }

    [Theory]
    [InlineData("# escape=`\n# syntax=x\nFROM a\n", '`', "x")]
    [InlineData("#ESCAPE = \\\nFROM a\n", '\\', null)]
    // A directive after a comment, a blank line or an unknown directive is an ordinary comment.
    [InlineData("# hello\n# escape=`\nFROM a\n", '\\', null)]
    [InlineData("\n# escape=`\nFROM a\n", '\\', null)]
    [InlineData("# foo=bar\n# escape=`\nFROM a\n", '\\', null)]
    public void Directives_count_only_at_the_very_top(string text, char escape, string? syntax)
    {
        var file = ContainerfileParser.Parse(text);
        Assert.Equal((escape, syntax), (file.EscapeChar, file.Syntax));
    }

    [Fact]
    public void Heredocs_keep_bodies_verbatim_and_know_their_quoting()
    {
        var s = Fixtures.Parse("heredocs").Stages[0];
        var script = (RunInstruction)s.Instructions[0];
        Assert.Equal("<<EOF", script.Command.ShellText);
        Assert.Equal(new Heredoc("EOF", "set -e\napt-get update\napt-get install -y --no-install-recommends ca-certificates\n", true, false), script.Heredocs.Single());
        Assert.Equal((2, 6), (script.Line, script.EndLine));
        var tabs = (RunInstruction)s.Instructions[1];
        Assert.Equal("<<-EOT bash", tabs.Command.ShellText);
        Assert.Equal(new Heredoc("EOT", "echo \"tabs stripped\"\necho \"all leading tabs\"\n", true, true), tabs.Heredocs.Single());
        var conf = (CopyInstruction)s.Instructions[2];
        Assert.Equal(new Heredoc("CONF", "home=$HOME\n", false, false), conf.HeredocFor(conf.Sources[0]));
        Assert.Equal("/etc/app/app.conf", conf.Destination);
        var stdin = (RunInstruction)s.Instructions[3];
        Assert.Equal("python3 <<PY > /tmp/out.txt", stdin.Command.ShellText);
        Assert.Equal("print(\"hi from $USER\")\n", stdin.Heredocs.Single().Content);
        var two = (CopyInstruction)s.Instructions[4];
        Assert.Equal(new[] { "<<robots.txt", "<<humans.txt" }, two.Sources);
        Assert.Equal(new[] { "robots.txt", "humans.txt" }, two.Heredocs.Select(h => h.Name));
        Assert.Equal("User-agent: *\nDisallow: /admin\n", two.HeredocFor("<<robots.txt")!.Content);
        Assert.Equal((17, 22), (two.Line, two.EndLine));
        Assert.Equal(23, s.Instructions[5].Line);
    }

    [Theory]
    [InlineData("<<EOF", "EOF", true, false)]
    [InlineData("<<-EOF", "EOF", true, true)]
    [InlineData("<<\"EOF\"", "EOF", false, false)]
    [InlineData("<<-'END'", "END", false, true)]
    [InlineData("<<index.html", "index.html", true, false)]
    public void Heredoc_markers_parse(string word, string name, bool expand, bool strip)
    {
        Assert.True(HeredocSyntax.TryParseMarker(word, out var n, out var e, out var s));
        Assert.Equal((name, expand, strip), (n, e, s));
    }

    [Theory]
    [InlineData("<<<here")]
    [InlineData("<<")]
    [InlineData("<<\"EOF'")]
    [InlineData("file")]
    public void Non_markers_are_not_heredocs(string word) => Assert.False(HeredocSyntax.TryParseMarker(word, out _, out _, out _));

    [Fact]
    public void Onbuild_wraps_a_parsed_trigger_and_keeps_its_text()
    {
        var s = Fixtures.Parse("onbuild").Stages[0];
        var triggers = s.Instructions.OfType<OnbuildInstruction>().ToList();
        Assert.Equal(new[] { "COPY package*.json ./", "RUN npm install", "ARG NODE_ENV=production", "COPY . ." }, triggers.Select(t => t.TriggerText));
        Assert.Equal(new[] { "package*.json" }, ((CopyInstruction)triggers[0].Trigger).Sources);
        Assert.Equal(CommandLine.Shell("npm install"), ((RunInstruction)triggers[1].Trigger).Command);
        Assert.Equal(new ArgDeclaration("NODE_ENV", "production"), ((ArgInstruction)triggers[2].Trigger).Args.Single());
        Assert.Equal("ONBUILD", triggers[2].Keyword); // written "onbuild"
        Assert.Equal(CommandLine.Exec(new[] { "npm", "start" }), ((CmdInstruction)s.Instructions[^1]).Command);
    }

    [Fact]
    public void Healthcheck_none_exec_and_shell_with_all_options()
    {
        var file = Fixtures.Parse("healthchecks");
        var none = (HealthcheckInstruction)file.Stages[0].Instructions.Single();
        Assert.True(none.IsNone);
        var exec = (HealthcheckInstruction)file.Stages[1].Instructions.Single();
        Assert.Equal(CommandLine.Exec(new[] { "curl", "-f", "http://localhost/" }), exec.Command);
        Assert.Equal(TimeSpan.FromSeconds(90), exec.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), exec.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), exec.StartPeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(500), exec.StartInterval);
        Assert.Equal(3, exec.Retries);
        var shell = (HealthcheckInstruction)file.Stages[2].Instructions.Single();
        Assert.False(shell.IsNone);
        Assert.Equal(CommandLine.Shell("curl -f http://localhost/ || exit 1"), shell.Command);
        Assert.Null(shell.Interval);
    }

    [Fact]
    public void Json_form_where_it_parses_shell_form_otherwise()
    {
        var s = Fixtures.Parse("json-and-shell").Stages[0];
        var shell = ((ShellInstruction)s.Instructions[0]).Shell;
        Assert.Equal(new[] { "/bin/bash", "-o", "pipefail", "-c" }, shell);
        Assert.Equal(CommandLine.Exec(new[] { "/bin/echo", "exec form" }), ((RunInstruction)s.Instructions[1]).Command);
        var pipe = ((RunInstruction)s.Instructions[2]).Command;
        Assert.Equal(new[] { "/bin/bash", "-o", "pipefail", "-c", "echo \"shell form\" | tee /tmp/log" }, pipe.ToArgv(shell));
        // "[ -f x ]" is not JSON: Docker runs it as a shell test.
        Assert.Equal(CommandLine.Shell("[ -f /etc/os-release ] && echo found"), ((RunInstruction)s.Instructions[3]).Command);
        Assert.Equal(new[] { "/var/log/nginx", "/var/cache/nginx" }, ((VolumeInstruction)s.Instructions[4]).Paths);
        Assert.Equal(new[] { "80", "443/tcp", "53/UDP", "8000-8010" }, ((ExposeInstruction)s.Instructions[5]).Ports);
        Assert.Equal(new[] { "/bin/sh", "-c", "/docker-entrypoint.sh" }, ((EntrypointInstruction)s.Instructions[6]).Command.ToArgv(new[] { "/bin/sh", "-c" }));
        var cleared = ((EntrypointInstruction)s.Instructions[7]).Command;
        Assert.Equal((CommandForm.Exec, 0), (cleared.Form, cleared.ExecArgs.Count));
    }

    [Fact]
    public void Lower_case_keywords_stage_names_by_index_and_add_copy_flags()
    {
        var file = Fixtures.Parse("stages-by-index");
        Assert.Equal("base", file.Stages[0].Name); // "As Base": Docker lowercases stage names
        Assert.Equal(new[] { new ArgDeclaration("DEBIAN_FRONTEND", "noninteractive"), new ArgDeclaration("APT_OPTS", null) },
            ((ArgInstruction)file.Stages[0].Instructions[0]).Args);
        var second = file.Stages[1];
        Assert.Same(file.Stages[0], file.FindStage(second.From.Image, second.Index));
        Assert.Null(file.FindStage("1", 1)); // only earlier stages
        var add = (CopyInstruction)second.Instructions[0];
        Assert.True(add.IsAdd);
        Assert.Equal(("1000:1000", "755", true), (add.Chown, add.Chmod, add.Link));
        Assert.Equal("https://example.org/tool.tar.gz", add.Sources.Single());
        var copy = (CopyInstruction)second.Instructions[2];
        Assert.Equal((false, true, "base"), (copy.IsAdd, copy.Link, copy.From));
        Assert.Equal(new[] { "file with spaces.txt" }, ((CopyInstruction)second.Instructions[3]).Sources);
        var dashed = (CopyInstruction)second.Instructions[4];
        Assert.Equal(new[] { "--odd-name" }, dashed.Sources);
        Assert.Empty(dashed.Flags);
        Assert.Same(second, file.TargetStage(null));
        Assert.Same(file.Stages[0], file.TargetStage("BASE"));
        Assert.Same(file.Stages[0], file.TargetStage("0"));
        var e = Assert.Throws<PodShellException>(() => file.TargetStage("tests"));
        Assert.Equal(("ContainerfileTargetNotFound", FailureKind.NotFound), (e.ErrorId, e.Kind));
    }

    [Fact]
    public void Windows_line_endings_and_a_byte_order_mark_parse_like_unix_text()
    {
        var file = ContainerfileParser.Parse("\uFEFFFROM alpine\r\nRUN echo a && \\\r\n    echo b\r\n");
        var run = (RunInstruction)file.Stages[0].Instructions.Single();
        Assert.Equal(("echo a &&     echo b", 2, 3), (run.Command.ShellText, run.Line, run.EndLine));
    }

    [Fact]
    public void Flag_values_a_later_flag_wins_and_repeatable_flags_keep_all()
    {
        var run = (RunInstruction)ContainerfileParser.Parse("FROM a\nRUN --network=none --mount=type=tmpfs,target=/t --mount=type=bind,target=/b true\n").Stages[0].Instructions[0];
        Assert.Equal("none", run.Network);
        Assert.Equal(new[] { "type=tmpfs,target=/t", "type=bind,target=/b" }, run.Mounts);
        Assert.Null(run.Flag("security"));
        Assert.False(run.FlagIsSet("security"));
    }
}
