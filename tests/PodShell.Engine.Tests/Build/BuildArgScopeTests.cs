using PodShell.Engine.Build;

namespace PodShell.Engine.Tests.Build;

/// <summary>ARG scoping and ENV precedence as Docker documents them ("Understand how ARG and FROM
/// interact", "Scope", "Using ARG variables"), applied to parsed Containerfiles.</summary>
public sealed class BuildArgScopeTests
{
    private static Containerfile Parse(string text) => ContainerfileParser.Parse(text, "Containerfile");

    private static (BuildArgScope Build, StageScope Stage, List<Instruction> Applied) Run(string text,
        Dictionary<string, string>? buildArgs = null, IEnumerable<string>? baseEnv = null, int stage = 0)
    {
        var file = Parse(text);
        var build = new BuildArgScope(file, buildArgs);
        StageScope scope = null!;
        var applied = new List<Instruction>();
        for (int i = 0; i <= stage; i++)
        {
            scope = build.EnterStage(baseEnv);
            applied.Clear();
            foreach (var ins in file.Stages[i].Instructions) applied.Add(scope.Apply(ins));
        }
        return (build, scope, applied);
    }

    [Fact]
    public void Global_args_reach_FROM_but_not_the_stage_unless_redeclared()
    {
        var file = Parse("ARG VERSION=3.19\nFROM alpine:$VERSION\nLABEL a=$VERSION\nARG VERSION\nLABEL b=$VERSION\n");
        var build = new BuildArgScope(file);
        Assert.Equal("alpine:3.19", build.ExpandFrom(file.Stages[0].From).Image);
        var stage = build.EnterStage();
        var labels = file.Stages[0].Instructions.Select(stage.Apply).OfType<LabelInstruction>().ToList();
        Assert.Equal(new KeyValue("a", ""), labels[0].Labels.Single());
        Assert.Equal(new KeyValue("b", "3.19"), labels[1].Labels.Single());
    }

    [Fact]
    public void Build_args_override_global_and_stage_defaults_and_unused_ones_are_reported()
    {
        var text = "ARG TAG=3.19\nFROM alpine:${TAG}\nARG TAG\nARG MODE=debug\nARG LATE\nENV T=$TAG M=$MODE L=${LATE:-none}\n";
        var args = new Dictionary<string, string> { ["TAG"] = "3.20", ["MODE"] = "release", ["TYPO"] = "x" };
        var file = Parse(text);
        var build = new BuildArgScope(file, args);
        Assert.Equal("alpine:3.20", build.ExpandFrom(file.Stages[0].From).Image);
        var stage = build.EnterStage();
        foreach (var i in file.Stages[0].Instructions) stage.Apply(i);
        Assert.Equal(new[] { "T=3.20", "M=release", "L=none" }, stage.Environment);
        Assert.Equal(new[] { "TYPO" }, build.UnusedBuildArgs);
        // A build arg no ARG declares is invisible even in FROM.
        var f2 = Parse("FROM alpine:$TAG\n");
        Assert.Equal("alpine:", new BuildArgScope(f2, args).ExpandFrom(f2.Stages[0].From).Image);
    }

    [Fact]
    public void Env_overrides_an_arg_of_the_same_name_in_expansion_and_run_environment()
    {
        var (_, stage, applied) = Run("FROM a\nARG CONT_IMG_VER=v1.0.0\nENV CONT_IMG_VER=v2.0.0\nARG CONT_IMG_VER=v3\nWORKDIR /opt/$CONT_IMG_VER\n",
            new Dictionary<string, string> { ["CONT_IMG_VER"] = "v9" });
        Assert.Equal("/opt/v2.0.0", ((WorkdirInstruction)applied[^1]).Path);
        Assert.Equal(new[] { "CONT_IMG_VER=v2.0.0" }, stage.RunEnvironment);
        Assert.Equal("v9", stage.Args["CONT_IMG_VER"]);
    }

    [Fact]
    public void Run_environment_has_args_with_values_but_the_image_env_does_not()
    {
        var (_, stage, applied) = Run("FROM a\nARG HTTP_PROXY\nARG USER=app\nARG NOVALUE\nENV HOME=/home/$USER\nRUN echo $USER\n",
            new Dictionary<string, string> { ["HTTP_PROXY"] = "http://proxy:3128" });
        Assert.Equal(new[] { "HTTP_PROXY=http://proxy:3128", "USER=app", "HOME=/home/app" }, stage.RunEnvironment);
        Assert.Equal(new[] { "HOME=/home/app" }, stage.Environment);
        // RUN is the shell's business: left as written.
        Assert.Equal("echo $USER", ((RunInstruction)applied[^1]).Command.ShellText);
        Assert.Null(stage.Args["NOVALUE"]);
    }

    [Fact]
    public void Env_pairs_on_one_line_see_the_values_from_before_the_line()
    {
        var (_, stage, _) = Run("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
        Assert.Equal(new[] { "abc=bye", "def=hello", "ghi=bye" }, stage.Environment);
    }

    [Fact]
    public void Base_environment_is_visible_and_updated_in_place()
    {
        var (_, stage, applied) = Run("FROM a\nENV PATH=$PATH:/app/bin\nWORKDIR $HOME/src\n",
            baseEnv: new[] { "PATH=/usr/bin:/bin", "HOME=/root" });
        Assert.Equal(new[] { "PATH=/usr/bin:/bin:/app/bin", "HOME=/root" }, stage.Environment);
        Assert.Equal("/root/src", ((WorkdirInstruction)applied[^1]).Path);
    }

    [Fact]
    public void Stage_lookup_and_expander_see_env_before_args_and_from_is_not_a_stage_instruction()
    {
        var file = Parse("FROM a\nARG X=arg\nENV Y=env\n");
        var stage = new BuildArgScope(file).EnterStage(new[] { "X=base" });
        foreach (var i in file.Stages[0].Instructions) stage.Apply(i);
        Assert.Equal(("base", "env", (string?)null), (stage.Lookup("X"), stage.Lookup("Y"), stage.Lookup("Z")));
        Assert.Equal("base-env", stage.Expander.Expand("$X-$Y"));
        Assert.Throws<ArgumentException>(() => stage.Apply(file.Stages[0].From));
    }

    [Fact]
    public void Args_do_not_cross_stages()
    {
        var (_, stage, applied) = Run("FROM a AS one\nARG X=1\nFROM b\nUSER u$X\n", stage: 1);
        Assert.Equal("u", ((UserInstruction)applied.Single()).User);
        Assert.Empty(stage.Args);
    }

    [Fact]
    public void Expanding_instructions_get_values_and_shell_ones_stay_as_written()
    {
        var text = "FROM a\nARG V=1.2 FILES=\"a.txt b.txt\" PORT=8080 SIG=SIGTERM OWNER=1000\n" +
                   "LABEL version=$V \"desc\"=\"v $V\"\nCOPY --chown=$OWNER:$OWNER $FILES /app/$V/\nEXPOSE $PORT ${PORT}/udp\n" +
                   "VOLUME /data/$V\nSTOPSIGNAL $SIG\nUSER $OWNER\nCMD echo $V\nENTRYPOINT [\"run\", \"$V\"]\n" +
                   "HEALTHCHECK CMD curl localhost:$PORT\nONBUILD RUN echo $V\nSHELL [\"/bin/sh\", \"-c\", \"$V\"]\n";
        var (_, _, a) = Run(text);
        Assert.Equal(new[] { new KeyValue("version", "1.2"), new KeyValue("desc", "v 1.2") }, ((LabelInstruction)a[1]).Labels);
        var copy = (CopyInstruction)a[2];
        Assert.Equal(new[] { "a.txt", "b.txt" }, copy.Sources);
        Assert.Equal(("/app/1.2/", "1000:1000"), (copy.Destination, copy.Chown));
        Assert.Equal(new[] { "8080/tcp", "8080/udp" }, ((ExposeInstruction)a[3]).Ports);
        Assert.Equal(new[] { "/data/1.2" }, ((VolumeInstruction)a[4]).Paths);
        Assert.Equal("SIGTERM", ((StopSignalInstruction)a[5]).Signal);
        Assert.Equal("1000", ((UserInstruction)a[6]).User);
        Assert.Equal("echo $V", ((CmdInstruction)a[7]).Command.ShellText);
        Assert.Equal("$V", ((EntrypointInstruction)a[8]).Command.ExecArgs[1]);
        Assert.Equal("curl localhost:$PORT", ((HealthcheckInstruction)a[9]).Command!.ShellText);
        Assert.Equal("RUN echo $V", ((OnbuildInstruction)a[10]).TriggerText);
        Assert.Equal("$V", ((ShellInstruction)a[11]).Shell[2]);
    }

    [Fact]
    public void Copy_heredoc_expands_unless_quoted()
    {
        var (_, _, a) = Run("FROM a\nARG TEAM=web\nCOPY <<one.txt <<\"two.txt\" /x/\nby $TEAM\none.txt\nby $TEAM\ntwo.txt\n");
        var copy = (CopyInstruction)a[1];
        Assert.Equal(new[] { "<<one.txt", "<<\"two.txt\"" }, copy.Sources);
        Assert.Equal("by web\n", copy.HeredocFor("<<one.txt")!.Content);
        Assert.Equal("by $TEAM\n", copy.HeredocFor("<<\"two.txt\"")!.Content);
    }

    [Fact]
    public void Automatic_platform_args_are_global_without_declaration()
    {
        var file = Parse("FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\nENV ARCH=$TARGETARCH OS=$TARGETOS\n");
        var build = new BuildArgScope(file, null, new Dictionary<string, string>
        {
            ["BUILDPLATFORM"] = "linux/amd64", ["TARGETARCH"] = "arm64", ["TARGETOS"] = "linux",
        });
        Assert.Equal("linux/amd64", build.ExpandFrom(file.Stages[0].From).Platform);
        var stage = build.EnterStage();
        foreach (var i in file.Stages[0].Instructions) stage.Apply(i);
        Assert.Equal(new[] { "ARCH=arm64", "OS=" }, stage.Environment);
        Assert.Empty(build.UnusedBuildArgs);
    }

    [Fact]
    public void Global_defaults_may_use_earlier_globals()
    {
        var file = Parse("ARG REG=docker.io\nARG IMAGE=$REG/library/alpine\nFROM ${IMAGE}\n");
        var build = new BuildArgScope(file);
        Assert.Equal("docker.io/library/alpine", build.ExpandFrom(file.Stages[0].From).Image);
        Assert.Equal("docker.io", build.GlobalArgs["REG"]);
        Assert.Equal("docker.io", build.Global("REG"));
    }

    [Theory]
    [InlineData("ARG B\nFROM $B\n", "expands to an empty image name")]
    [InlineData("FROM a\nWORKDIR ${X:?WORKDIR needs X}\n", "WORKDIR: X: WORKDIR needs X")]
    [InlineData("FROM a\nEXPOSE http\n", "'http' is not a port")]
    [InlineData("FROM a\nLABEL a=\"open\n", "double quote")]
    public void Expansion_errors_name_file_and_line(string text, string fragment)
    {
        var file = Parse(text);
        var build = new BuildArgScope(file);
        var e = Assert.Throws<PodShellException>(() =>
        {
            build.ExpandFrom(file.Stages[0].From);
            var stage = build.EnterStage();
            foreach (var i in file.Stages[0].Instructions) stage.Apply(i);
        });
        Assert.Equal("ContainerfileSyntaxError", e.ErrorId);
        Assert.StartsWith("Containerfile:2: ", e.Message);
        Assert.Contains(fragment, e.Message);
    }
}
