using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Processes;

namespace PodShell.Engine.Hosting;

/// <summary>The one place the engine looks at who runs it: root gets <see cref="RootHostMode"/>, an ordinary user
/// <see cref="RootlessHostMode"/>. Also the parts both share.</summary>
internal static class HostMode
{
    public static IHostMode For(EngineOptions options, CgroupMode cgroupMode, Rootless.UserNamespace? userNamespace) =>
        options.Rootless
            ? new RootlessHostMode(userNamespace ?? throw new ArgumentException("A rootless engine needs its user namespace.", nameof(userNamespace)), cgroupMode)
            : new RootHostMode(options, cgroupMode);

    /// <summary>Makes the run root ready and, for an ordinary user, the user namespace its containers live in (made
    /// lazily on first use; null for root).</summary>
    public static Rootless.UserNamespace? PrepareRunRoot(EngineOptions options)
    {
        if (!options.Rootless)
        {
            Directory.CreateDirectory(options.RunRoot);
            return null;
        }
        // The run root may be in /tmp (no XDG_RUNTIME_DIR): it must be ours and private.
        Rootless.RootlessPaths.EnsurePrivate(options.RunRoot, Linux.ProcStat.EffectiveUid);
        return new Rootless.UserNamespace(options.RunRoot, Linux.ProcStat.EffectiveUid, Linux.ProcStat.EffectiveGid, Environment.UserName);
    }

    /// <summary>The processes of a container with a cgroup of its own: those of that cgroup.</summary>
    public static IReadOnlyList<int> PidsOfCgroup(Container c, ICgroupDriver cgroups)
    {
        var cg = cgroups.Read(c.Pid);
        var dir = cg.Directories.TryGetValue("unified", out var u) ? u
            : cg.Directories.TryGetValue("pids", out var p) ? p
            : cg.Directories.TryGetValue("memory", out var m) ? m
            : cg.Directories.Values.First();
        return ProcessTable.PidsIn(dir);
    }

    /// <summary>The processes of a container without a cgroup of its own: its PID namespace's (just init when it
    /// shares the host's PID namespace).</summary>
    public static IReadOnlyList<int> PidsOfNamespace(Container c) =>
        c.PidMode == "host" ? new[] { c.Pid } : ProcessTable.PidsInNamespaceOf(c.Pid);
}
