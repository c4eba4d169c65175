using System.Collections.Concurrent;
using System.Diagnostics;

namespace PodShell.Engine.Runtime;

/// <summary>One line a process inside a container wrote.</summary>
public readonly record struct ExecOutput(bool IsError, string Line);

/// <summary>A process run in a running container with "runtime exec" (like podman exec without -d).
/// Output arrives on reader threads; the caller drains <see cref="ReadOutput"/> on its own thread,
/// because PowerShell only lets the pipeline thread write objects.</summary>
public sealed class ExecSession : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<ExecOutput> _lines = new();
    private int _openStreams = 2;

    public string ContainerId { get; }
    public int? ExitCode { get; private set; }

    internal ExecSession(OciRuntime runtime, string containerId, IReadOnlyList<string> command,
        IReadOnlyList<string> env, string? workingDirectory, string? user, IEnumerable<string>? stdin)
    {
        ContainerId = containerId;
        var args = new List<string>(runtime.GlobalArgs) { "exec" };
        foreach (var e in env) { args.Add("--env"); args.Add(e); }
        if (!string.IsNullOrEmpty(workingDirectory)) { args.Add("--cwd"); args.Add(workingDirectory); }
        if (!string.IsNullOrEmpty(user)) { args.Add("--user"); args.Add(user); }
        args.Add(containerId);
        args.AddRange(command);
        // Rootless: the runtime runs inside the user namespace (see OciRuntime.Launcher).
        var (file, argv) = runtime.Launcher?.Invoke(runtime.Path, args) ?? (runtime.Path, args);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in argv) psi.ArgumentList.Add(a);

        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(false, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(true, e.Data);
        using (Diagnostics.EngineCounters.EnterProcess(runtime.Path)) _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (stdin != null)
        {
            var input = stdin.ToList();
            Task.Run(() =>
            {
                try
                {
                    foreach (var l in input) _process.StandardInput.WriteLine(l);
                    _process.StandardInput.Close();
                }
                catch (IOException) { }
            });
        }
        else
        {
            _process.StandardInput.Close();
        }
    }

    private void OnLine(bool isError, string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0) _lines.CompleteAdding();
            return;
        }
        _lines.Add(new ExecOutput(isError, line));
    }

    /// <summary>Lines as they come; ends when the process has closed both streams. Cancellation kills
    /// the runtime exec process (the runtime then ends the process in the container).</summary>
    public IEnumerable<ExecOutput> ReadOutput(CancellationToken ct)
    {
        while (true)
        {
            ExecOutput item;
            try
            {
                if (!_lines.TryTake(out item, Timeout.Infinite, ct)) break;
            }
            catch (OperationCanceledException)
            {
                try { _process.Kill(true); } catch (InvalidOperationException) { }
                throw;
            }
            catch (InvalidOperationException) { break; }
            yield return item;
        }
        _process.WaitForExit();
        ExitCode = _process.ExitCode;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(true); } catch (InvalidOperationException) { }
        _process.Dispose();
        _lines.Dispose();
    }
}

/// <summary>Files of one conmon-monitored exec, in &lt;bundle&gt;/exec/&lt;exec id&gt;, so removing the
/// container removes them too.</summary>
public sealed class ExecPaths
{
    public ExecPaths(string bundleDir, string execId)
    {
        ExecId = execId;
        Dir = System.IO.Path.Combine(bundleDir, "exec", execId);
    }

    public string ExecId { get; }
    public string Dir { get; }
    public string ProcessSpecFile => System.IO.Path.Combine(Dir, "process.json");
    public string PidFile => System.IO.Path.Combine(Dir, "exec_pid");
    public string ConmonPidFile => System.IO.Path.Combine(Dir, "conmon.pid");
    public string LogFile => System.IO.Path.Combine(Dir, "exec.log");
    /// <summary>conmon's --persist-dir exit file: the decimal exit status, 128+n for signal n.</summary>
    public string ExitFile => System.IO.Path.Combine(Dir, "exit");
    /// <summary>Attach socket and ctl FIFO, created by conmon only for an attached exec.</summary>
    public string AttachSocketName => "attach";
    public string ControlFifo => System.IO.Path.Combine(Dir, "ctl");

    /// <summary>The exit code once the process has ended, else null.</summary>
    public int? ReadExitCode()
    {
        try { return int.Parse(File.ReadAllText(ExitFile).Trim()); }
        catch (IOException) { return null; }
        catch (FormatException) { return null; }
    }
}

/// <summary>A process started with Invoke-ContainerCommand -Detach: it runs under its own conmon and
/// outlives the pwsh that started it. <see cref="ExitCode"/> reads conmon's exit file, so it is
/// null while the process runs and the exit code afterwards, from any session.</summary>
public sealed class DetachedExec
{
    private readonly ExecPaths _paths;

    internal DetachedExec(string containerId, string containerName, string[] command, int pid, int conmonPid, ExecPaths paths)
    {
        ContainerId = containerId;
        ContainerName = containerName;
        Command = command;
        Pid = pid;
        ConmonPid = conmonPid;
        _paths = paths;
        Started = DateTime.UtcNow;
    }

    public string ContainerId { get; }
    public string ContainerName { get; }
    public string ExecId => _paths.ExecId;
    public string[] Command { get; }
    /// <summary>The process id on the host.</summary>
    public int Pid { get; }
    public int ConmonPid { get; }
    public DateTime Started { get; }
    /// <summary>Its stdout and stderr, in k8s-file format (conmon's exec log).</summary>
    public string LogPath => _paths.LogFile;
    public bool HasExited => ExitCode.HasValue;
    public int? ExitCode => _paths.ReadExitCode();
}

/// <summary>The OCI process JSON for "runtime exec --process": the container's own process section
/// (capabilities, rlimits, no_new_privileges, apparmor and the environment stay as the container
/// has them, as podman does) with the command, the terminal flag and the caller's options applied.</summary>
internal static class ExecProcessSpec
{
    public static System.Text.Json.Nodes.JsonObject Build(string bundleDir, IReadOnlyList<string> command,
        IReadOnlyList<string> env, string? workingDirectory, string? user, bool terminal, (int Rows, int Columns)? size,
        string? rootfsView = null)
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(bundleDir, "config.json")))!.AsObject();
        var process = (config["process"]?.DeepClone() as System.Text.Json.Nodes.JsonObject) ?? new System.Text.Json.Nodes.JsonObject();
        process["terminal"] = terminal;
        process["args"] = new System.Text.Json.Nodes.JsonArray(command.Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray());

        var merged = new List<string>();
        if (process["env"] is System.Text.Json.Nodes.JsonArray baseEnv)
            merged.AddRange(baseEnv.Select(e => e?.GetValue<string>() ?? "").Where(e => e.Length > 0));
        foreach (var e in env)
        {
            var key = e.Split('=', 2)[0];
            merged.RemoveAll(x => x.Split('=', 2)[0] == key);
            merged.Add(e);
        }
        // The container's TERM says "no terminal" for a detached container; a shell with a pty needs one.
        if (terminal && !merged.Any(x => x.StartsWith("TERM=", StringComparison.Ordinal)))
            merged.Add("TERM=xterm");
        process["env"] = new System.Text.Json.Nodes.JsonArray(merged.Select(e => (System.Text.Json.Nodes.JsonNode?)e).ToArray());

        if (!string.IsNullOrEmpty(workingDirectory))
        {
            if (!workingDirectory.StartsWith('/'))
                throw new PodShellException(ErrorIds.InvalidWorkingDirectory, FailureKind.InvalidArgument,
                    $"The working directory '{workingDirectory}' must be an absolute path.", workingDirectory);
            process["cwd"] = workingDirectory;
        }

        if (!string.IsNullOrEmpty(user))
        {
            var rootPath = config["root"]?["path"]?.GetValue<string>() ?? "rootfs";
            // A rootless mount is only visible inside the user's mount namespace: the caller passes the path it can read.
            var rootfs = rootfsView ?? (System.IO.Path.IsPathRooted(rootPath) ? rootPath : System.IO.Path.Combine(bundleDir, rootPath));
            var u = Containers.UserResolver.Resolve(rootfs, user);
            var userNode = new System.Text.Json.Nodes.JsonObject { ["uid"] = u.Uid, ["gid"] = u.Gid };
            if (u.AdditionalGids.Length > 0)
                userNode["additionalGids"] = new System.Text.Json.Nodes.JsonArray(u.AdditionalGids.Select(g => (System.Text.Json.Nodes.JsonNode?)g).ToArray());
            process["user"] = userNode;
        }

        if (terminal && size is { } s && s.Rows > 0 && s.Columns > 0)
            process["consoleSize"] = new System.Text.Json.Nodes.JsonObject { ["height"] = s.Rows, ["width"] = s.Columns };
        else
            process.Remove("consoleSize");
        return process;
    }
}
