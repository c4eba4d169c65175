using PodShell.Engine.Runtime;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>Run a process in a running container (podman exec).</summary>
    public ExecSession Exec(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, IEnumerable<string>? stdin = null)
    {
        var c = GetContainer(id);
        if (c.State != ContainerState.Running)
            throw new PodShellException("ContainerNotRunning", FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}; start it before running commands in it.", c);
        if (command.Count == 0)
            throw new PodShellException("NoCommand", FailureKind.InvalidArgument, "No command given.", c);
        var envList = env?.Select(kv => $"{kv.Key}={kv.Value}").ToList() ?? new List<string>();
        return new ExecSession(Runtime, c.Id, command, envList, workingDirectory, user, stdin);
    }
}
