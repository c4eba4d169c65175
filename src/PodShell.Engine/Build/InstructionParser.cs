namespace PodShell.Engine.Build;

/// <summary>The arguments of one instruction (keyword already split off and upper-cased) to its typed record.
/// Which flags each instruction takes follows Docker's reference; an unknown flag is an error there too,
/// so a typo such as <c>--chmown</c> is caught instead of ignored.</summary>
internal static class InstructionParser
{
    private static readonly Dictionary<string, string[]> AllowedFlags = new(StringComparer.Ordinal)
    {
        ["FROM"] = new[] { "platform" },
        ["RUN"] = new[] { "mount", "network", "security" },
        ["COPY"] = new[] { "from", "chown", "chmod", "link", "parents", "exclude" },
        ["ADD"] = new[] { "chown", "chmod", "link", "keep-git-dir", "checksum", "exclude" },
        ["HEALTHCHECK"] = new[] { "interval", "timeout", "start-period", "start-interval", "retries" },
    };
    private static readonly HashSet<string> BooleanFlags = new(StringComparer.Ordinal) { "link", "parents", "keep-git-dir" };
    private static readonly HashSet<string> RepeatableFlags = new(StringComparer.Ordinal) { "mount", "exclude" };

    public static Instruction Parse(string keyword, string rest, InstructionContext ctx)
    {
        var flags = new List<InstructionFlag>();
        var args = AllowedFlags.ContainsKey(keyword) ? ArgumentSyntax.ExtractFlags(rest, ctx.Escape, flags) : rest;
        CheckFlags(keyword, flags, ctx);
        Instruction ins = keyword switch
        {
            "FROM" => From(args, ctx),
            "RUN" => new RunInstruction(Command(keyword, args, ctx, allowEmptyExec: false), ctx.Heredocs),
            "CMD" => new CmdInstruction(Command(keyword, args, ctx, allowEmptyExec: true)),
            "ENTRYPOINT" => new EntrypointInstruction(Command(keyword, args, ctx, allowEmptyExec: true)),
            "COPY" or "ADD" => Copy(keyword, args, ctx),
            "ENV" => new EnvInstruction(KeyValues(keyword, args, ctx)),
            "LABEL" => new LabelInstruction(KeyValues(keyword, args, ctx)),
            "ARG" => Arg(args, ctx),
            "WORKDIR" => new WorkdirInstruction(Single(keyword, args, ctx)),
            "USER" => new UserInstruction(Single(keyword, args, ctx)),
            "STOPSIGNAL" => new StopSignalInstruction(Single(keyword, args, ctx)),
            "MAINTAINER" => new MaintainerInstruction(Single(keyword, args, ctx)),
            "EXPOSE" => new ExposeInstruction(Words(keyword, args, ctx)),
            "VOLUME" => new VolumeInstruction(ArgumentSyntax.TryParseJsonArray(args) ?? Words(keyword, args, ctx)),
            "SHELL" => Shell(args, ctx),
            "HEALTHCHECK" => HealthcheckSyntax.Parse(args, flags, ctx),
            "ONBUILD" => Onbuild(args, ctx),
            _ => throw ContainerfileErrors.UnknownInstruction(ctx.File, ctx.Line, keyword),
        };
        return ins with { Keyword = keyword, Line = ctx.Line, EndLine = ctx.EndLine, Original = ctx.Original, Flags = flags };
    }

    private static void CheckFlags(string keyword, List<InstructionFlag> flags, InstructionContext ctx)
    {
        if (flags.Count == 0) return;
        var allowed = AllowedFlags.GetValueOrDefault(keyword) ?? Array.Empty<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in flags)
        {
            if (!allowed.Contains(f.Name))
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"unknown flag --{f.Name} for {keyword}");
            if (!seen.Add(f.Name) && !RepeatableFlags.Contains(f.Name))
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"duplicate flag --{f.Name} for {keyword}");
            if (f.Value == null && !BooleanFlags.Contains(f.Name))
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"flag --{f.Name} of {keyword} needs a value (--{f.Name}=...)");
            if (f.Value != null && BooleanFlags.Contains(f.Name) && f.Value is not ("true" or "false"))
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"flag --{f.Name} of {keyword} is true or false, not '{f.Value}'");
        }
    }

    private static FromInstruction From(string args, InstructionContext ctx)
    {
        var w = ArgumentSyntax.SplitWords(args, ctx.Escape);
        if (w.Count == 1) return new FromInstruction(w[0], null);
        if (w.Count == 3 && w[1].Equals("AS", StringComparison.OrdinalIgnoreCase))
            return new FromInstruction(w[0], w[2].ToLowerInvariant()); // Docker lowercases stage names
        throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "FROM takes an image and optionally 'AS name' (FROM image [AS name])");
    }

    internal static CommandLine Command(string keyword, string args, InstructionContext ctx, bool allowEmptyExec)
    {
        var json = ArgumentSyntax.TryParseJsonArray(args);
        if (json != null)
        {
            // CMD [] and ENTRYPOINT [] are how a Containerfile clears the base image's; RUN [] runs nothing.
            if (json.Count == 0 && !allowEmptyExec)
                throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"{keyword} [] has no command");
            return CommandLine.Exec(json);
        }
        if (args.Trim().Length == 0)
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"{keyword} requires a command");
        return CommandLine.Shell(args.Trim());
    }

    private static CopyInstruction Copy(string keyword, string args, InstructionContext ctx)
    {
        var words = ArgumentSyntax.TryParseJsonArray(args) ?? ArgumentSyntax.SplitWords(args, ctx.Escape);
        if (words.Count < 2)
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"{keyword} requires at least one source and a destination");
        return new CopyInstruction(keyword == "ADD", words.Take(words.Count - 1).ToArray(), words[^1], ctx.Heredocs);
    }

    private static List<KeyValue> KeyValues(string keyword, string args, InstructionContext ctx)
    {
        var pairs = ArgumentSyntax.ParseKeyValues(keyword, args, ctx.Escape, out var error);
        if (error != null) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, error);
        return pairs;
    }

    private static ArgInstruction Arg(string args, InstructionContext ctx)
    {
        var words = ArgumentSyntax.SplitWords(args, ctx.Escape);
        if (words.Count == 0) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "ARG requires a name (ARG NAME or ARG NAME=default)");
        var decls = new List<ArgDeclaration>();
        foreach (var w in words)
        {
            int eq = w.IndexOf('=');
            var name = eq < 0 ? w : w[..eq];
            if (name.Length == 0) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"ARG names can not be blank ('{w}')");
            decls.Add(new ArgDeclaration(name, eq < 0 ? null : w[(eq + 1)..]));
        }
        return new ArgInstruction(decls);
    }

    private static string Single(string keyword, string args, InstructionContext ctx)
    {
        var t = args.Trim();
        if (t.Length == 0) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"{keyword} requires an argument");
        if (keyword == "STOPSIGNAL" && ArgumentSyntax.SplitWords(t, ctx.Escape).Count != 1)
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "STOPSIGNAL takes exactly one signal");
        return t;
    }

    private static List<string> Words(string keyword, string args, InstructionContext ctx)
    {
        var w = ArgumentSyntax.SplitWords(args, ctx.Escape);
        if (w.Count == 0) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"{keyword} requires at least one argument");
        return w;
    }

    private static ShellInstruction Shell(string args, InstructionContext ctx)
    {
        var json = ArgumentSyntax.TryParseJsonArray(args);
        if (json == null || json.Count == 0)
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "SHELL requires a JSON array, e.g. SHELL [\"/bin/bash\", \"-c\"]");
        return new ShellInstruction(json);
    }

    private static OnbuildInstruction Onbuild(string args, InstructionContext ctx)
    {
        var t = args.Trim();
        int sp = 0;
        while (sp < t.Length && !char.IsWhiteSpace(t[sp])) sp++;
        var inner = t[..sp].ToUpperInvariant();
        if (inner.Length == 0) throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, "ONBUILD requires an instruction");
        // Docker refuses these: chaining ONBUILD is ambiguous, and FROM/MAINTAINER cannot be triggers.
        if (inner is "ONBUILD" or "FROM" or "MAINTAINER")
            throw ContainerfileErrors.Syntax(ctx.File, ctx.Line, $"ONBUILD {inner} is not allowed");
        var trigger = Parse(inner, t[sp..].Trim(), ctx);
        return new OnbuildInstruction(trigger, t);
    }
}
