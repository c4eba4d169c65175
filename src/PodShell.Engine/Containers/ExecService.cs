using System.Text.Json;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Containers;

/// <summary>Processes run in a running container (podman exec): attached through the runtime, detached or with a
/// terminal under their own conmon. A user name is resolved from the container's own /etc/passwd.</summary>
internal sealed class ExecService
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerRootfs _rootfs;

    public ExecService(EngineContext ctx, ContainerHandles handles, ContainerRootfs rootfs)
    {
        _ctx = ctx;
        _handles = handles;
        _rootfs = rootfs;
    }

    /// <summary>Run a process in a running container (podman exec). <paramref name="stdin"/> lines,
    /// when given, are written to its standard input, each followed by a newline, and then it is closed.</summary>
    public ExecSession Exec(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, IEnumerable<string>? stdin = null)
    {
        var c = RunningForExec(id, command);
        var envList = env?.Select(kv => $"{kv.Key}={kv.Value}").ToList() ?? new List<string>();
        // runc exec --user takes numbers only; names are looked up in the container's own /etc/passwd.
        if (!string.IsNullOrEmpty(user))
        {
            var u = UserResolver.Resolve(_rootfs.UserFilesView(c.Id), user);
            user = $"{u.Uid}:{u.Gid}";
        }
        return new ExecSession(_ctx.Runtime, c.Id, command, envList, workingDirectory, user, stdin);
    }

    /// <summary>Start a process in a running container and return at once (podman exec -d). It runs
    /// under its own conmon, so it outlives this process; its output goes to the exec log and its
    /// exit code to an exit file, both read back through the returned object or <see cref="GetExecExitCode"/>.</summary>
    public DetachedExec ExecDetached(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, CancellationToken ct = default)
    {
        var c = RunningForExec(id, command);
        var exec = PrepareExec(c, command, env, workingDirectory, user, terminal: false, size: null);
        try
        {
            using var launch = _ctx.Conmon.Exec(_ctx.Runtime, _ctx.PathsFor(c.Id), c.Id, c.Name, exec, terminal: false, onAttachReady: null, ct);
            return new DetachedExec(c.Id, c.Name, command.ToArray(), launch.Pid, launch.ConmonPid, exec);
        }
        catch
        {
            TryDeleteDir(exec.Dir);
            throw;
        }
    }

    /// <summary>The exit code of a detached exec, or null while it still runs.</summary>
    public int? GetExecExitCode(string id, string execId)
    {
        var c = _handles.Get(id);
        var exec = new ExecPaths(_ctx.PathsFor(c.Id).BundleDir, execId);
        if (!Directory.Exists(exec.Dir))
            throw new PodShellException(ErrorIds.ExecNotFound, FailureKind.NotFound, $"Container '{c.Name}' has no exec session '{execId}'.", execId);
        return exec.ReadExitCode();
    }

    /// <summary>Start a process with a terminal in a running container and attach to it through conmon
    /// (podman exec -it). Drive it with <see cref="ConsoleRelay.Run"/> or Send/Receive.</summary>
    public ExecAttach ExecInteractive(string id, IReadOnlyList<string> command, IDictionary<string, string>? env = null,
        string? workingDirectory = null, string? user = null, (int Rows, int Columns)? size = null, CancellationToken ct = default)
    {
        var c = RunningForExec(id, command);
        var exec = PrepareExec(c, command, env, workingDirectory, user, terminal: true, size);
        System.Net.Sockets.Socket? socket = null;
        try
        {
            var launch = _ctx.Conmon.Exec(_ctx.Runtime, _ctx.PathsFor(c.Id), c.Id, c.Name, exec, terminal: true,
                onAttachReady: () => socket = ExecAttach.Connect(exec), ct);
            return new ExecAttach(c.Id, launch, socket!, exec);
        }
        catch
        {
            socket?.Dispose();
            TryDeleteDir(exec.Dir);
            throw;
        }
    }

    private Container RunningForExec(string id, IReadOnlyList<string> command)
    {
        var c = _handles.Get(id);
        if (c.State != ContainerState.Running)
            throw new PodShellException(ErrorIds.ContainerNotRunning, FailureKind.InvalidState,
                $"Container '{c.Name}' is {c.State}; start it before running commands in it.", c);
        if (command.Count == 0)
            throw new PodShellException(ErrorIds.NoCommand, FailureKind.InvalidArgument, "No command given.", c);
        return c;
    }

    private ExecPaths PrepareExec(Container c, IReadOnlyList<string> command, IDictionary<string, string>? env,
        string? workingDirectory, string? user, bool terminal, (int Rows, int Columns)? size)
    {
        var bundle = _ctx.PathsFor(c.Id).BundleDir;
        var envList = env?.Select(kv => $"{kv.Key}={kv.Value}").ToList() ?? new List<string>();
        var process = ExecProcessSpec.Build(bundle, command, envList, workingDirectory, user, terminal, size,
            string.IsNullOrEmpty(user) ? null : _rootfs.UserFilesView(c.Id));
        var exec = new ExecPaths(bundle, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(exec.Dir);
        File.WriteAllText(exec.ProcessSpecFile, process.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return exec;
    }

    private static void TryDeleteDir(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
