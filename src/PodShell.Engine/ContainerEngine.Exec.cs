using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>Processes in a running container and its output (Containers/ExecService.cs, Containers/LogService.cs).</summary>
public sealed partial class ContainerEngine
{
    /// <summary>Run a process in a running container (podman exec). <paramref name="stdin"/> lines,
    /// when given, are written to its standard input, each followed by a newline, and then it is closed.</summary>
    public ExecSession Exec(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, IEnumerable<string>? stdin = null) =>
        Services.Exec.Exec(id, command, env, workingDirectory, user, stdin);

    /// <summary>Start a process in a running container and return at once (podman exec -d).</summary>
    public DetachedExec ExecDetached(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, CancellationToken ct = default) =>
        Services.Exec.ExecDetached(id, command, env, workingDirectory, user, ct);

    /// <summary>The exit code of a detached exec, or null while it still runs.</summary>
    public int? GetExecExitCode(string id, string execId) => Services.Exec.GetExecExitCode(id, execId);

    /// <summary>Start a process with a terminal in a running container and attach to it through conmon (podman exec -it).</summary>
    public ExecAttach ExecInteractive(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, (int Rows, int Columns)? size = null, CancellationToken ct = default) =>
        Services.Exec.ExecInteractive(id, command, env, workingDirectory, user, size, ct);

    /// <summary>The container's output from conmon's k8s-file log, oldest first (podman logs); see LogService.Read.</summary>
    public IEnumerable<ContainerLogEntry> GetLogs(string nameOrId, int tail = -1, DateTime? since = null, bool follow = false, CancellationToken ct = default) =>
        Services.Logs.Read(nameOrId, tail, since, follow, ct);
}
