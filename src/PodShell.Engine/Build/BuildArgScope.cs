namespace PodShell.Engine.Build;

/// <summary>The ARG rules of a build, as Docker documents them:
/// <list type="bullet">
/// <item>ARGs before the first FROM are global: FROM lines (image and <c>--platform</c>) may use them, and
/// nothing else, unless a stage redeclares the name without a value (<c>ARG VERSION</c>), which imports the
/// global value;</item>
/// <item>a <c>-BuildArg</c> value overrides the default of the ARG declaring that name, global or in a stage;
/// a build arg no ARG declares is not visible at all (<see cref="UnusedBuildArgs"/> lists them, podman
/// warns about them);</item>
/// <item>automatic args (TARGETARCH, BUILDPLATFORM, ...) behave as global ARGs the file did not have to write;</item>
/// <item>ARGs do not cross stages; ENV does, through FROM of an earlier stage (the caller passes the base
/// environment to <see cref="EnterStage"/>), and ENV beats an ARG of the same name (<see cref="StageScope"/>).</item>
/// </list></summary>
public sealed class BuildArgScope
{
    private readonly Dictionary<string, string> _buildArgs;
    private readonly Dictionary<string, string?> _globals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Containerfile File { get; }

    public BuildArgScope(Containerfile file, IReadOnlyDictionary<string, string>? buildArgs = null,
        IReadOnlyDictionary<string, string>? automaticArgs = null)
    {
        File = file;
        _buildArgs = new Dictionary<string, string>(buildArgs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in automaticArgs ?? new Dictionary<string, string>())
            _globals[k] = _buildArgs.TryGetValue(k, out var over) ? over : v;
        var expander = new ShellWordExpander(Global, file.EscapeChar);
        foreach (var arg in file.GlobalArgs)
            foreach (var d in arg.Args)
            {
                var name = Expand(expander, d.Name, arg);
                _globals[name] = Resolve(name, d.Default == null ? null : Expand(expander, d.Default, arg), inherited: null);
            }
    }

    /// <summary>The value of a global ARG for FROM lines, null when undeclared or declared without value.</summary>
    public string? Global(string name) => _globals.GetValueOrDefault(name);

    /// <summary>Declared global ARGs (and automatic ones) with their values.</summary>
    public IReadOnlyDictionary<string, string?> GlobalArgs => _globals;

    /// <summary>Build args that no ARG declared so far; complete after every stage has been applied.</summary>
    public IReadOnlyList<string> UnusedBuildArgs => _buildArgs.Keys.Where(k => !_used.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToArray();

    /// <summary>FROM with its image and <c>--platform</c> expanded by the global ARGs only.</summary>
    public FromInstruction ExpandFrom(FromInstruction instruction)
    {
        var x = new ShellWordExpander(Global, File.EscapeChar);
        var image = Expand(x, instruction.Image, instruction);
        if (image.Length == 0)
            throw ContainerfileErrors.Syntax(File.FileName, instruction.Line, $"FROM '{instruction.Image}' expands to an empty image name (is the ARG declared before FROM?)");
        var flags = instruction.Flags.Select(f => f.Value == null ? f : f with { Value = Expand(x, f.Value, instruction) }).ToArray();
        return instruction with { Image = image, Flags = flags };
    }

    /// <summary>A fresh scope for a stage; <paramref name="baseEnvironment"/> is the base's Env
    /// ("KEY=VALUE", from the image config or the earlier stage), which the stage's expansion sees.</summary>
    public StageScope EnterStage(IEnumerable<string>? baseEnvironment = null) => new(this, baseEnvironment ?? Array.Empty<string>());

    /// <summary>An ARG's value: the build arg, else its own default, else what it inherits (the global
    /// value for a stage's <c>ARG NAME</c>).</summary>
    internal string? Resolve(string name, string? expandedDefault, string? inherited)
    {
        if (_buildArgs.TryGetValue(name, out var v)) { _used.Add(name); return v; }
        return expandedDefault ?? inherited;
    }

    internal bool IsGlobal(string name) => _globals.ContainsKey(name);

    internal string Expand(ShellWordExpander x, string text, Instruction at)
    {
        try { return x.Expand(text); }
        catch (FormatException e) { throw ContainerfileErrors.Syntax(File.FileName, at.Line, $"{at.Keyword}: {e.Message}"); }
    }

    internal IReadOnlyList<string> ExpandWords(ShellWordExpander x, string text, Instruction at)
    {
        try { return x.ExpandWords(text); }
        catch (FormatException e) { throw ContainerfileErrors.Syntax(File.FileName, at.Line, $"{at.Keyword}: {e.Message}"); }
    }
}
