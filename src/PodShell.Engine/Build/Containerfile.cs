namespace PodShell.Engine.Build;

/// <summary>A parsed Containerfile: the ARGs before the first FROM (they exist only for FROM lines), then the
/// stages in file order. Values are kept as written (quotes and escapes included) because expansion depends
/// on them ('$X' stays literal, "$X" does not); <see cref="StageScope.Apply"/> gives the expanded values.</summary>
public sealed record Containerfile(
    string FileName,
    char EscapeChar,
    string? Syntax,
    IReadOnlyList<ArgInstruction> GlobalArgs,
    IReadOnlyList<BuildStage> Stages)
{
    /// <summary>The stage a FROM or <c>COPY --from</c> names, among the stages before
    /// <paramref name="beforeIndex"/>: by name (case-insensitive, as Docker lowercases stage names) or by its
    /// index. Null means the reference is an image, not a stage.</summary>
    public BuildStage? FindStage(string nameOrIndex, int beforeIndex)
    {
        foreach (var s in Stages)
        {
            if (s.Index >= beforeIndex) break;
            if (s.Name != null && string.Equals(s.Name, nameOrIndex, StringComparison.OrdinalIgnoreCase)) return s;
        }
        // An index refers only to an earlier stage: "FROM 0" in stage 0 would be the image "0".
        if (int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, null, out var i) && i < beforeIndex && i < Stages.Count)
            return Stages[i];
        return null;
    }

    /// <summary>The stage <c>-Target</c> names (by name or index); without a target, the last stage, as
    /// podman builds.</summary>
    public BuildStage TargetStage(string? target)
    {
        if (string.IsNullOrEmpty(target)) return Stages[^1];
        return FindStage(target, Stages.Count)
            ?? throw new PodShellException(ErrorIds.ContainerfileTargetNotFound, FailureKind.NotFound,
                $"{FileName}: no build stage is named '{target}'.", target);
    }
}

/// <summary>One stage: its FROM and the instructions after it, up to the next FROM.</summary>
public sealed record BuildStage(int Index, string? Name, FromInstruction From, IReadOnlyList<Instruction> Instructions);

/// <summary>A <c>--name=value</c> (or bare <c>--name</c>, Value null) before an instruction's arguments.</summary>
public sealed record InstructionFlag(string Name, string? Value);

/// <summary>A here-document of RUN, COPY or ADD. <see cref="Expand"/> is false when the delimiter was
/// quoted (<c>&lt;&lt;"EOF"</c>): then the builder (COPY) and the shell (RUN) leave <c>$</c> alone.
/// <see cref="StripTabs"/> is the <c>&lt;&lt;-</c> form; its leading tabs are already removed from
/// <see cref="Content"/>. Content ends with a newline per line, as the shell would feed it.</summary>
public sealed record Heredoc(string Name, string Content, bool Expand, bool StripTabs);

/// <summary>Shell form is one string for <c>SHELL</c> + "-c"; exec (JSON) form is the argv itself.</summary>
public enum CommandForm { Shell, Exec }

/// <summary>The command of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD in either form.</summary>
public sealed record CommandLine(CommandForm Form, string ShellText, IReadOnlyList<string> ExecArgs)
{
    public static CommandLine Shell(string text) => new(CommandForm.Shell, text, Array.Empty<string>());
    public static CommandLine Exec(IReadOnlyList<string> args) => new(CommandForm.Exec, "", args);

    /// <summary>The argv the image config stores: exec form as is, shell form wrapped in the stage's SHELL
    /// (["/bin/sh", "-c"] by default), as Docker records CMD and ENTRYPOINT.</summary>
    public IReadOnlyList<string> ToArgv(IReadOnlyList<string> shell) =>
        Form == CommandForm.Exec ? ExecArgs : shell.Append(ShellText).ToArray();

    // Records compare lists by reference; tests and the layer cache compare commands by content.
    public bool Equals(CommandLine? other) =>
        other != null && Form == other.Form && ShellText == other.ShellText && ExecArgs.SequenceEqual(other.ExecArgs);
    public override int GetHashCode() => HashCode.Combine(Form, ShellText, ExecArgs.Count);
}
