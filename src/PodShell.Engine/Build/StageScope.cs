namespace PodShell.Engine.Build;

/// <summary>The variables of one stage while its instructions are applied in order: the environment (the
/// base's, then each ENV) and the ARGs the stage declared. A name is looked up in the environment first:
/// Docker's rule that ENV beats an ARG of the same name.</summary>
public sealed class StageScope
{
    private readonly BuildArgScope _build;
    private readonly List<string> _envOrder = new();
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _args = new(StringComparer.Ordinal);
    private readonly ShellWordExpander _expander;

    internal StageScope(BuildArgScope build, IEnumerable<string> baseEnvironment)
    {
        _build = build;
        foreach (var kv in baseEnvironment)
        {
            int eq = kv.IndexOf('=');
            if (eq > 0) SetEnv(kv[..eq], kv[(eq + 1)..]);
        }
        _expander = new ShellWordExpander(Lookup, build.File.EscapeChar);
    }

    /// <summary>The value <c>$name</c> expands to here, null when unset.</summary>
    public string? Lookup(string name) =>
        _env.TryGetValue(name, out var v) ? v : _args.GetValueOrDefault(name);

    /// <summary>The ARGs declared in this stage (null: declared without a value).</summary>
    public IReadOnlyDictionary<string, string?> Args => _args;

    /// <summary>The image config's Env: "KEY=VALUE" in first-set order, as Docker keeps it.</summary>
    public IReadOnlyList<string> Environment => _envOrder.Select(k => k + "=" + _env[k]).ToArray();

    /// <summary>The environment a RUN sees: ARGs with a value (they are not kept in the image) and then the
    /// ENV, which wins for a name both set.</summary>
    public IReadOnlyList<string> RunEnvironment =>
        _args.Where(a => a.Value != null && !_env.ContainsKey(a.Key)).Select(a => a.Key + "=" + a.Value)
            .Concat(Environment).ToArray();

    public ShellWordExpander Expander => _expander;

    private void SetEnv(string key, string value)
    {
        if (!_env.ContainsKey(key)) _envOrder.Add(key);
        _env[key] = value;
    }

    /// <summary>Expands the instruction where Docker's builder expands (ADD, COPY, ENV, ARG, EXPOSE, LABEL,
    /// STOPSIGNAL, USER, VOLUME, WORKDIR) and records ENV and ARG in the scope. RUN, CMD, ENTRYPOINT,
    /// HEALTHCHECK and SHELL come back unchanged: their <c>$</c> is the shell's at run time. ONBUILD too: its
    /// trigger is expanded in the child build that runs it.</summary>
    public Instruction Apply(Instruction ins) => ins switch
    {
        EnvInstruction e => ApplyEnv(e),
        ArgInstruction a => ApplyArg(a),
        LabelInstruction l => l with { Labels = l.Labels.Select(kv => new KeyValue(X(kv.Key, l), X(kv.Value, l))).ToArray() },
        CopyInstruction c => ExpandCopy(c),
        WorkdirInstruction w => w with { Path = X(w.Path, w) },
        UserInstruction u => u with { User = X(u.User, u) },
        StopSignalInstruction s => s with { Signal = X(s.Signal, s) },
        VolumeInstruction v => v with { Paths = v.Paths.SelectMany(p => Words(p, v)).ToArray() },
        ExposeInstruction x => x with { Ports = x.Ports.SelectMany(p => Words(p, x)).Select(p => Port(p, x)).ToArray() },
        FromInstruction f => throw new ArgumentException("FROM starts a stage: use BuildArgScope.ExpandFrom", nameof(ins)),
        _ => ins,
    };

    private string X(string text, Instruction at) => _build.Expand(_expander, text, at);
    private IReadOnlyList<string> Words(string text, Instruction at) => _build.ExpandWords(_expander, text, at);

    private EnvInstruction ApplyEnv(EnvInstruction e)
    {
        // Every pair is expanded before any is set: in "ENV A=2 B=$A" B gets the A from before this line.
        var expanded = e.Variables.Select(kv => new KeyValue(X(kv.Key, e), X(kv.Value, e))).ToArray();
        foreach (var kv in expanded) SetEnv(kv.Key, kv.Value);
        return e with { Variables = expanded };
    }

    private ArgInstruction ApplyArg(ArgInstruction a)
    {
        var result = new List<ArgDeclaration>();
        foreach (var d in a.Args)
        {
            var name = X(d.Name, a);
            var def = d.Default == null ? null : X(d.Default, a);
            // "ARG NAME" without a default imports the global ARG of that name, if there is one.
            var inherited = d.Default == null && _build.IsGlobal(name) ? _build.Global(name) : null;
            var value = _build.Resolve(name, def, inherited);
            _args[name] = value;
            result.Add(new ArgDeclaration(name, value));
        }
        return a with { Args = result };
    }

    private CopyInstruction ExpandCopy(CopyInstruction c)
    {
        // Heredoc markers are not words to expand: they name the body, which expands unless quoted.
        var sources = c.Sources.SelectMany(s => c.HeredocFor(s) != null ? new[] { s } : Words(s, c)).ToArray();
        var heredocs = c.Heredocs.Select(h => h.Expand ? h with { Content = Raw(h.Content, c) } : h).ToArray();
        var flags = c.Flags.Select(f => f.Value == null || f.Name == "exclude" ? f : f with { Value = X(f.Value, c) }).ToArray();
        return c with { Sources = sources, Destination = X(c.Destination, c), Heredocs = heredocs, Flags = flags };
    }

    private string Raw(string content, Instruction at)
    {
        try { return _expander.ExpandHeredoc(content); }
        catch (FormatException e) { throw ContainerfileErrors.Syntax(_build.File.FileName, at.Line, $"{at.Keyword} heredoc: {e.Message}"); }
    }

    private string Port(string word, Instruction at)
    {
        if (ExposedPort.TryNormalize(word, out var port)) return port;
        throw ContainerfileErrors.Syntax(_build.File.FileName, at.Line, $"EXPOSE: '{word}' is not a port (80, 53/udp, 8000-8010/tcp)");
    }
}
