using PodShell.Engine.Linux;
using PodShell.Engine.Rootless;

namespace PodShell.Engine;

/// <summary>Where an engine keeps its state. Both roots can be overridden so every test run has its own.
/// Rootless: the engine runs as an ordinary user, its containers in a user namespace (docs/design.md).</summary>
public sealed record EngineOptions(string GraphRoot, string RunRoot, string CgroupParent, bool Rootless = false)
{
    public const string DefaultGraphRoot = "/var/lib/podshell";
    public const string DefaultRunRoot = "/run/podshell";
    public const string DefaultCgroupParent = "podshell";

    /// <summary>PODSHELL_GRAPHROOT, PODSHELL_RUNROOT and PODSHELL_CGROUP_PARENT, else the defaults: for root the
    /// system paths, for an ordinary user $XDG_DATA_HOME/podshell and $XDG_RUNTIME_DIR/podshell (as Podman).</summary>
    public static EngineOptions FromEnvironment()
    {
        static string Env(string name, string fallback)
        {
            var v = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(v) ? fallback : v;
        }
        uint uid = ProcStat.EffectiveUid;
        bool rootless = uid != 0;
        string graph = DefaultGraphRoot, run = DefaultRunRoot;
        if (rootless)
        {
            graph = RootlessPaths.GraphRoot(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
            run = RootlessPaths.RunRoot(Environment.GetEnvironmentVariable, uid);
        }
        return new EngineOptions(
            Path.GetFullPath(Env("PODSHELL_GRAPHROOT", graph)),
            Path.GetFullPath(Env("PODSHELL_RUNROOT", run)),
            Env("PODSHELL_CGROUP_PARENT", DefaultCgroupParent).Trim('/'),
            rootless);
    }
}
