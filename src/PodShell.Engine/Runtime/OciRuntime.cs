using System.Text.Json;
using PodShell.Engine.Cgroups;

namespace PodShell.Engine.Runtime;

/// <summary>The OCI runtime (runc or crun) driven through its CLI, as Podman does. Each engine keeps
/// the runtime's state under its own run root (--root), so test runs never see each other.</summary>
public sealed class OciRuntime
{
    public string Name { get; }
    public string Path { get; }
    public string StateRoot { get; }

    /// <summary>How a runtime command line is started: for a rootless engine, through nsenter into the user's
    /// namespaces (the runtime must run as root of that user namespace). Null: directly.</summary>
    public Func<string, IEnumerable<string>, (string File, List<string> Args)>? Launcher { get; set; }

    public OciRuntime(string name, string path, string stateRoot)
    {
        Name = name;
        Path = path;
        StateRoot = stateRoot;
    }

    /// <summary>crun where the host allows it (a pure v2 host: crun 1.8 refuses hybrid hierarchies
    /// whose unified mount has controllers), runc otherwise. PODSHELL_RUNTIME forces one.</summary>
    public static OciRuntime Select(CgroupMode mode, string stateRoot, string? preferred = null)
    {
        preferred ??= Environment.GetEnvironmentVariable("PODSHELL_RUNTIME");
        var candidates = !string.IsNullOrEmpty(preferred) ? new[] { preferred }
            : mode == CgroupMode.V2 ? new[] { "crun", "runc" } : new[] { "runc" };
        foreach (var c in candidates)
        {
            var path = FindExecutable(c);
            if (path != null) return new OciRuntime(System.IO.Path.GetFileName(c), path, stateRoot);
        }
        throw new PodShellException(ErrorIds.RuntimeNotFound, FailureKind.NotSupported,
            $"No OCI runtime found (looked for {string.Join(", ", candidates)}). Install the Debian package {(candidates[^1] == "crun" ? "crun" : "runc")} (apt-get install {(candidates[^1] == "crun" ? "crun" : "runc")}) or run build.ps1 Bootstrap.", string.Join(",", candidates));
    }

    public static string? FindExecutable(string name) => HostProgram.Find(name);

    /// <summary>Arguments that go before the subcommand; conmon passes them through --runtime-arg.</summary>
    public string[] GlobalArgs => new[] { "--root", StateRoot };

    private ProcessRunner.Result Run(params string[] args)
    {
        if (Launcher is null) return ProcessRunner.Run(Path, GlobalArgs.Concat(args), TimeSpan.FromSeconds(60));
        var (file, argv) = Launcher(Path, GlobalArgs.Concat(args));
        return ProcessRunner.Run(file, argv, TimeSpan.FromSeconds(60));
    }

    /// <summary>Starts a created container. For runc run directly (not through a rootless launcher) the engine
    /// releases the init itself through runc's exec fifo (<see cref="Linux.ExecFifo"/>), which is all `runc start`
    /// does; any other case, or a fifo that is not there, goes through the runtime's own start.</summary>
    public void Start(string id, int initPid = 0, ulong initStart = 0)
    {
        if (Name == "runc" && Launcher is null && initPid > 0 && initStart != 0)
        {
            using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Runtime, "start (exec fifo)");
            switch (Linux.ExecFifo.Release(System.IO.Path.Combine(StateRoot, id, "exec.fifo"), initPid, initStart, TimeSpan.FromSeconds(60)))
            {
                case Linux.ExecFifo.Outcome.Started: return;
                case Linux.ExecFifo.Outcome.InitDead:
                    throw new PodShellException(ErrorIds.RuntimeStartFailed, FailureKind.RuntimeFailed, $"{Name} start failed: the container's init process died before it could start the command.", id);
                case Linux.ExecFifo.Outcome.TimedOut:
                    throw new PodShellException(ErrorIds.RuntimeStartFailed, FailureKind.RuntimeFailed, $"{Name} start failed: the container's init did not start the command within a minute.", id);
            }
        }
        var r = Run("start", id);
        if (r.ExitCode != 0)
            throw new PodShellException(ErrorIds.RuntimeStartFailed, FailureKind.RuntimeFailed, $"{Name} start failed: {Clean(r.Stderr)}", id);
    }

    /// <summary>Send a signal to the container's init (or every process with all). False when the
    /// container is not running any more, which is not an error for a stop.</summary>
    public bool Kill(string id, int signal, bool all = false)
    {
        var args = new List<string> { "kill" };
        if (all) args.Add("--all");
        args.Add(id);
        args.Add(signal.ToString());
        if (Run(args.ToArray()).ExitCode == 0) return true;
        // --all walks the container's cgroup; a rootless container without one (cgroup v1) has none to walk.
        // Its init is PID 1 of its own PID namespace: when it dies the kernel kills the rest.
        return all && Run("kill", id, signal.ToString()).ExitCode == 0;
    }

    /// <summary>Freeze every process of the container (the cgroup freezer).</summary>
    public void Pause(string id)
    {
        var r = Run("pause", id);
        if (r.ExitCode != 0)
            throw new PodShellException(ErrorIds.RuntimePauseFailed, FailureKind.RuntimeFailed, $"{Name} pause failed: {Clean(r.Stderr)}", id);
    }

    public void Resume(string id)
    {
        var r = Run("resume", id);
        if (r.ExitCode != 0)
            throw new PodShellException(ErrorIds.RuntimeResumeFailed, FailureKind.RuntimeFailed, $"{Name} resume failed: {Clean(r.Stderr)}", id);
    }

    /// <summary>Idempotent delete: a container the runtime does not know is already deleted.</summary>
    public void Delete(string id, bool force = true)
    {
        var r = force ? Run("delete", "--force", id) : Run("delete", id);
        if (r.ExitCode != 0 && !r.Stderr.Contains("does not exist") && !r.Stderr.Contains("not exist"))
            throw new PodShellException(ErrorIds.RuntimeDeleteFailed, FailureKind.RuntimeFailed, $"{Name} delete failed: {Clean(r.Stderr)}", id);
    }

    /// <summary>The runtime's view ("created", "running", "stopped"), or null when it has no such container.</summary>
    public string? State(string id)
    {
        var r = Run("state", id);
        if (r.ExitCode != 0) return null;
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
    }

    internal static string Clean(string stderr)
    {
        // runc --log-format=json lines or plain text; keep the message part short and readable.
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
        {
            if (l.StartsWith('{'))
            {
                try
                {
                    using var d = JsonDocument.Parse(l);
                    if (d.RootElement.TryGetProperty("msg", out var m)) return m.GetString() ?? l;
                }
                catch (JsonException) { }
            }
            return l;
        });
        return string.Join("; ", lines).Trim();
    }
}
