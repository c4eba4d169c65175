namespace PodShell.Engine;

/// <summary>Where an engine keeps its state. Both roots can be overridden so every test run has its own.</summary>
public sealed record EngineOptions(string GraphRoot, string RunRoot, string CgroupParent)
{
    public const string DefaultGraphRoot = "/var/lib/podshell";
    public const string DefaultRunRoot = "/run/podshell";
    public const string DefaultCgroupParent = "podshell";

    /// <summary>PODSHELL_GRAPHROOT, PODSHELL_RUNROOT and PODSHELL_CGROUP_PARENT, else the defaults.</summary>
    public static EngineOptions FromEnvironment()
    {
        static string Env(string name, string fallback)
        {
            var v = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(v) ? fallback : v;
        }
        return new EngineOptions(
            Path.GetFullPath(Env("PODSHELL_GRAPHROOT", DefaultGraphRoot)),
            Path.GetFullPath(Env("PODSHELL_RUNROOT", DefaultRunRoot)),
            Env("PODSHELL_CGROUP_PARENT", DefaultCgroupParent).Trim('/'));
    }
}
