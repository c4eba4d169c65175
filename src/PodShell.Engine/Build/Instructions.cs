namespace PodShell.Engine.Build;

/// <summary>One instruction of a Containerfile. <see cref="Line"/> and <see cref="EndLine"/> are 1-based
/// physical lines (they differ for continuations and heredocs), <see cref="Original"/> is the text of those
/// lines as written, for error messages and the image history ("created_by").</summary>
public abstract record Instruction
{
    /// <summary>Upper-case keyword (RUN, COPY, ...); the file may spell it in any case.</summary>
    public string Keyword { get; init; } = "";
    public int Line { get; init; }
    public int EndLine { get; init; }
    public string Original { get; init; } = "";
    public IReadOnlyList<InstructionFlag> Flags { get; init; } = Array.Empty<InstructionFlag>();

    /// <summary>The last value of a flag (Docker lets a later one win); "" for a bare boolean flag.</summary>
    public string? Flag(string name)
    {
        string? value = null;
        foreach (var f in Flags) if (f.Name == name) value = f.Value ?? "";
        return value;
    }

    /// <summary>Every value of a repeatable flag (<c>--mount</c>, <c>--exclude</c>), in order.</summary>
    public IReadOnlyList<string> FlagValues(string name) =>
        Flags.Where(f => f.Name == name).Select(f => f.Value ?? "").ToArray();

    /// <summary>A boolean flag: bare <c>--link</c> or <c>--link=true</c> is on.</summary>
    public bool FlagIsSet(string name)
    {
        var v = Flag(name);
        return v != null && (v.Length == 0 || v.Equals("true", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A KEY=VALUE of ENV or LABEL, as written until expanded.</summary>
public sealed record KeyValue(string Key, string Value);

/// <summary>One name of an ARG; Default is null for <c>ARG NAME</c> (which imports a global ARG or a build
/// arg into the stage).</summary>
public sealed record ArgDeclaration(string Name, string? Default);

/// <summary><c>FROM [--platform=p] image [AS name]</c>. Image may be <c>scratch</c>, an earlier stage's name
/// or index (<see cref="Containerfile.FindStage"/>), or an image reference.</summary>
public sealed record FromInstruction(string Image, string? StageName) : Instruction
{
    public string? Platform => Flag("platform");
    public bool IsScratch => Image.Equals("scratch", StringComparison.OrdinalIgnoreCase);
}

/// <summary>RUN in shell or exec form. With heredocs, <see cref="CommandLine.ShellText"/> is the first line
/// (e.g. <c>&lt;&lt;EOF</c> or <c>python3 &lt;&lt;EOF</c>) and the bodies are in <see cref="Heredocs"/>.
/// <c>--mount</c>, <c>--network</c> and <c>--security</c> are kept as flags.</summary>
public sealed record RunInstruction(CommandLine Command, IReadOnlyList<Heredoc> Heredocs) : Instruction
{
    public IReadOnlyList<string> Mounts => FlagValues("mount");
    public string? Network => Flag("network");
}

/// <summary>COPY or ADD (<see cref="IsAdd"/>): sources (globs allowed, or <c>&lt;&lt;NAME</c> for a heredoc)
/// and a destination.</summary>
public sealed record CopyInstruction(bool IsAdd, IReadOnlyList<string> Sources, string Destination, IReadOnlyList<Heredoc> Heredocs) : Instruction
{
    public string? From => Flag("from");
    public string? Chown => Flag("chown");
    public string? Chmod => Flag("chmod");
    public bool Link => FlagIsSet("link");

    /// <summary>The heredoc a source such as <c>&lt;&lt;EOF</c> or <c>&lt;&lt;-"EOF"</c> names, else null.</summary>
    public Heredoc? HeredocFor(string source) =>
        HeredocSyntax.TryParseMarker(source, out var name, out _, out _) ? Heredocs.FirstOrDefault(h => h.Name == name) : null;
}

public sealed record EnvInstruction(IReadOnlyList<KeyValue> Variables) : Instruction;

public sealed record ArgInstruction(IReadOnlyList<ArgDeclaration> Args) : Instruction;

public sealed record WorkdirInstruction(string Path) : Instruction;

public sealed record UserInstruction(string User) : Instruction;

public sealed record LabelInstruction(IReadOnlyList<KeyValue> Labels) : Instruction;

/// <summary>Deprecated; Docker records it as the image's author, and the label <c>maintainer</c> is what
/// its documentation tells users to write instead, so the builder sets both.</summary>
public sealed record MaintainerInstruction(string Maintainer) : Instruction
{
    public KeyValue Label => new("maintainer", Maintainer);
}

/// <summary>Ports as written: <c>80</c>, <c>53/udp</c>, <c>8000-8010/tcp</c>; <see cref="ExposedPort"/>
/// normalizes the expanded words.</summary>
public sealed record ExposeInstruction(IReadOnlyList<string> Ports) : Instruction;

public sealed record VolumeInstruction(IReadOnlyList<string> Paths) : Instruction;

public sealed record CmdInstruction(CommandLine Command) : Instruction;

public sealed record EntrypointInstruction(CommandLine Command) : Instruction;

public sealed record StopSignalInstruction(string Signal) : Instruction;

/// <summary><c>HEALTHCHECK NONE</c> (Command null: disable the base image's check) or options + CMD.
/// Unset options are null so the engine can keep the OCI defaults (30s, 30s, 0s, 3).</summary>
public sealed record HealthcheckInstruction(CommandLine? Command, TimeSpan? Interval, TimeSpan? Timeout,
    TimeSpan? StartPeriod, TimeSpan? StartInterval, int? Retries) : Instruction
{
    public bool IsNone => Command == null;
}

/// <summary>ONBUILD stores its trigger unexpanded (it runs in the child build, with the child's
/// variables); <see cref="TriggerText"/> is what goes into the image config's OnBuild list.</summary>
public sealed record OnbuildInstruction(Instruction Trigger, string TriggerText) : Instruction;

/// <summary>SHELL, always in JSON form: the argv that shell-form RUN, CMD and ENTRYPOINT are prefixed with.</summary>
public sealed record ShellInstruction(IReadOnlyList<string> Shell) : Instruction;
