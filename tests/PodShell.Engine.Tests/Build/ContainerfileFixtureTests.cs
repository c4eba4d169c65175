using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>Table-driven: every real-world-style fixture parses into the stages and instructions a reader of
/// the file sees, and each stage's FROM names the right base.</summary>
public sealed class ContainerfileFixtureTests
{
    public static TheoryData<string, string, string, int> Files => new()
    {
        // fixture, shape, FROM images (raw, '; '-joined), global ARG count
        { "go-multistage", "build:WORKDIR,COPY,RUN,COPY,ARG,RUN | -:COPY,USER,ENTRYPOINT", "golang:${GO_VERSION}-alpine; scratch", 1 },
        { "node-multistage", "deps:WORKDIR,COPY,RUN | runner:WORKDIR,ENV,COPY,COPY,EXPOSE,USER,CMD", "node:20-alpine; node:20-alpine", 0 },
        { "python-wheels", "base:ENV | builder:WORKDIR,COPY,RUN | -:LABEL,COPY,RUN,COPY,VOLUME,HEALTHCHECK,CMD", "python:3.12-slim; base; base", 0 },
        { "alpine-continuations", "-:MAINTAINER,ENV,RUN,RUN,STOPSIGNAL,WORKDIR", "alpine:3.19", 0 },
        { "heredocs", "-:RUN,RUN,COPY,RUN,COPY,CMD", "debian:bookworm-slim", 0 },
        { "escape-backtick", "-:COPY,RUN,RUN,ENV", "mcr.microsoft.com/windows/servercore:ltsc2022", 0 },
        { "arg-before-from", "app:ARG,ARG,ARG,LABEL,RUN", "${BASE}:${TAG}", 3 },
        { "onbuild", "-:WORKDIR,ONBUILD,ONBUILD,ONBUILD,ONBUILD,CMD", "node:20", 0 },
        { "healthchecks", "quiet:HEALTHCHECK | exec:HEALTHCHECK | shell:HEALTHCHECK", "nginx:1.25; nginx:1.25; nginx:1.25", 0 },
        { "json-and-shell", "-:SHELL,RUN,RUN,RUN,VOLUME,EXPOSE,ENTRYPOINT,ENTRYPOINT,CMD", "nginx:1.25", 0 },
        { "stages-by-index", "base:ARG,RUN | -:ADD,ADD,COPY,COPY,COPY", "debian:bookworm; 0", 0 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Fixture_parses_into_its_stages(string fixture, string shape, string images, int globalArgs)
    {
        var file = Fixtures.Parse(fixture);
        Assert.Equal(shape, Fixtures.Shape(file));
        Assert.Equal(images, string.Join("; ", file.Stages.Select(s => s.From.Image)));
        Assert.Equal(globalArgs, file.GlobalArgs.Count);
        Assert.EndsWith(fixture + ".Containerfile", file.FileName);
        // Every instruction knows where it came from, and lines only go forward.
        var all = file.Stages.SelectMany(s => s.Instructions.Prepend(s.From)).ToList();
        Assert.All(all, i => Assert.True(i.Line >= 1 && i.EndLine >= i.Line, $"{i.Keyword} at {i.Line}-{i.EndLine}"));
        Assert.All(all.Zip(all.Skip(1)), p => Assert.True(p.Second.Line > p.First.EndLine));
        Assert.All(all, i => Assert.StartsWith(i.Keyword, i.Original.TrimStart().ToUpperInvariant()));
    }

    [Fact]
    public void Go_build_keeps_platform_mounts_and_global_arg()
    {
        var file = Fixtures.Parse("go-multistage");
        Assert.Equal("docker/dockerfile:1.7", file.Syntax);
        Assert.Equal(new ArgDeclaration("GO_VERSION", "1.22"), file.GlobalArgs[0].Args.Single());
        var build = file.Stages[0];
        Assert.Equal("$BUILDPLATFORM", build.From.Platform);
        Assert.Equal("build", build.From.StageName);
        var download = (RunInstruction)build.Instructions[2];
        Assert.Equal(new[] { "type=cache,target=/go/pkg/mod" }, download.Mounts);
        Assert.Equal("go mod download", download.Command.ShellText.Trim());
        Assert.Equal((8, 9), (download.Line, download.EndLine));
        var compile = (RunInstruction)build.Instructions[5];
        Assert.Equal(2, compile.Mounts.Count);
        Assert.StartsWith("CGO_ENABLED=0 GOOS=$TARGETOS", compile.Command.ShellText.TrimStart());
        Assert.Equal(new[] { "TARGETOS", "TARGETARCH" }, ((ArgInstruction)build.Instructions[4]).Args.Select(a => a.Name));
        var final = file.Stages[1];
        Assert.True(final.From.IsScratch);
        var copy = (CopyInstruction)final.Instructions[0];
        Assert.Equal(("build", "/app"), (copy.From, copy.Destination));
        Assert.Equal(new[] { "/out/app" }, copy.Sources);
        Assert.Equal("65532:65532", ((UserInstruction)final.Instructions[1]).User);
        Assert.Equal(CommandLine.Exec(new[] { "/app" }), ((EntrypointInstruction)final.Instructions[2]).Command);
        Assert.Same(build, file.FindStage(copy.From!, final.Index));
    }

    [Fact]
    public void Node_build_has_globs_chown_chmod_env_pairs_and_exec_cmd()
    {
        var runner = Fixtures.Parse("node-multistage").Stages[1];
        var env = (EnvInstruction)runner.Instructions[1];
        Assert.Equal(new[] { new KeyValue("NODE_ENV", "production"), new KeyValue("PORT", "3000") }, env.Variables);
        var modules = (CopyInstruction)runner.Instructions[2];
        Assert.Equal(("deps", "node:node", (string?)null), (modules.From, modules.Chown, modules.Chmod));
        var app = (CopyInstruction)runner.Instructions[3];
        Assert.Equal(("node:node", "0644", (string?)null), (app.Chown, app.Chmod, app.From));
        Assert.Equal(new[] { "3000" }, ((ExposeInstruction)runner.Instructions[4]).Ports);
        Assert.Equal(CommandLine.Exec(new[] { "node", "server.js" }), ((CmdInstruction)runner.Instructions[6]).Command);
        var deps = Fixtures.Parse("node-multistage").Stages[0];
        Assert.Equal(new[] { "package.json", "package-lock.json*" }, ((CopyInstruction)deps.Instructions[1]).Sources);
    }

    [Fact]
    public void Python_build_uses_stage_index_labels_volume_json_and_healthcheck()
    {
        var file = Fixtures.Parse("python-wheels");
        Assert.Equal(new[] { new KeyValue("PYTHONDONTWRITEBYTECODE", "1"), new KeyValue("PYTHONUNBUFFERED", "1") },
            ((EnvInstruction)file.Stages[0].Instructions[0]).Variables);
        var final = file.Stages[2];
        Assert.Same(file.Stages[0], file.FindStage(final.From.Image, final.Index));
        var labels = (LabelInstruction)final.Instructions[0];
        Assert.Equal(new[] { "org.opencontainers.image.title", "org.opencontainers.image.version", "vendor" }, labels.Labels.Select(l => l.Key));
        Assert.Equal("\"Inventory API\"", labels.Labels[0].Value); // as written: expansion removes the quotes
        var wheels = (CopyInstruction)final.Instructions[1];
        Assert.Same(file.Stages[1], file.FindStage(wheels.From!, final.Index));
        Assert.Equal(new[] { "/data" }, ((VolumeInstruction)final.Instructions[4]).Paths);
        var hc = (HealthcheckInstruction)final.Instructions[5];
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), (int?)null), (hc.Interval!.Value, hc.Timeout!.Value, hc.Retries));
        Assert.Equal(CommandForm.Shell, hc.Command!.Form);
        Assert.StartsWith("python -c \"import urllib.request;", hc.Command.ShellText);
        Assert.Equal(CommandLine.Shell("python -m app --port 8000"), ((CmdInstruction)final.Instructions[6]).Command);
    }
}
