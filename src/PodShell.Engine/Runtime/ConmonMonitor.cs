using System.Text.Json;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Runtime;

/// <summary>conmon as the per-container monitor, spoken to as Podman does (design.md, Upstream U1): it
/// double-forks, becomes a subreaper that owns the container's stdio, runs "runtime create", reports
/// the container pid on the sync pipe, writes the k8s-file log and, at exit, the exit file.
/// A detached container therefore outlives the pwsh that started it.</summary>
public sealed class ConmonMonitor
{
    public string Path { get; }

    public ConmonMonitor(string path) => Path = path;

    /// <summary>As <see cref="OciRuntime.Launcher"/>: a rootless conmon starts inside the user namespace (nsenter
    /// execs it, so the pid, the inherited sync pipe and the double fork are as without it).</summary>
    public Func<string, IEnumerable<string>, (string File, List<string> Args)>? Launcher { get; set; }

    private int Spawn(List<string> args, List<string> env, IReadOnlyList<(int, int)> fds)
    {
        if (Launcher is null) return PosixSpawn.Spawn(Path, args, env, fds);
        var (file, argv) = Launcher(Path, args);
        return PosixSpawn.Spawn(file, argv, env, fds);
    }

    public static ConmonMonitor Find()
    {
        var p = OciRuntime.FindExecutable("conmon")
            ?? throw new PodShellException(ErrorIds.ConmonNotFound, FailureKind.NotSupported,
                "conmon was not found. Install it (apt-get install conmon) or run build.ps1 Bootstrap.", "conmon");
        return new ConmonMonitor(p);
    }

    public sealed record Launch(int ContainerPid, int ConmonPid);

    /// <summary>Start conmon for a created bundle and wait until the runtime has created the
    /// container (not started it: the caller runs "runtime start").</summary>
    public Launch Create(OciRuntime runtime, ContainerPaths paths, string id, string name, CancellationToken ct, long logSizeMax = long.MaxValue)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Monitor, "conmon + runtime create");
        Directory.CreateDirectory(paths.RunDir);
        Directory.CreateDirectory(paths.ExitsDir);
        // conmon 2.1.6 dies silently in its child when its socket dir is missing (design.md, Upstream U11).
        Directory.CreateDirectory(paths.SocketDir);
        File.Delete(paths.ExitFile);
        File.Delete(paths.OomFile);
        // conmon counts the bytes it writes from 0, whatever the file holds: a file half full or more is
        // moved to ctr.log.1 first, so ctr.log stays under 1.5 times the limit.
        Containers.LogRotation.BeforeStart(paths.LogFile, logSizeMax);

        var args = new List<string>
        {
            "--api-version", "1",
            "-c", id, "-u", id, "-n", name,
            "-r", runtime.Path,
            "-b", paths.BundleDir,
            "-p", paths.PidFile,
            "--exit-dir", paths.ExitsDir,
            "--persist-dir", paths.RunDir,
            "--full-attach",
            "-l", "k8s-file:" + paths.LogFile,
            "--log-level", "warning",
            "--conmon-pidfile", paths.ConmonPidFile,
            "--socket-dir-path", paths.SocketDir,
        };
        // At the limit conmon writes a new file and renames it over ctr.log: ctr.log keeps at most this many
        // bytes; the engine keeps one older generation as ctr.log.1 (Containers/LogRotation).
        if (logSizeMax != long.MaxValue) { args.Add("--log-size-max"); args.Add(logSizeMax.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        foreach (var g in runtime.GlobalArgs) { args.Add("--runtime-arg"); args.Add(g); }
        if (runtime.Name == "runc" || runtime.Name == "crun")
        {
            args.Add("--runtime-arg"); args.Add("--log-format=json");
            args.Add("--runtime-arg"); args.Add("--log");
            args.Add("--runtime-arg=" + paths.RuntimeLogFile);
        }

        using var sync = new SyncPipe();
        var env = new List<string>
        {
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "_OCI_SYNCPIPE=3",
        };
        int pid = Spawn(args, env, new[] { (sync.WriteFd, 3) });
        sync.CloseWriteEnd();
        // The first conmon process exits as soon as it has forked the real monitor.
        int rc = PosixSpawn.Wait(pid);
        if (rc > 0)
            throw new PodShellException(ErrorIds.ConmonFailed, FailureKind.RuntimeFailed, $"conmon exited with code {rc} before creating the container.", id);

        string? line;
        try
        {
            line = sync.ReadLine(TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            throw new PodShellException(ErrorIds.ConmonTimeout, FailureKind.RuntimeFailed, "conmon did not report the container pid within 60 s.", id);
        }
        if (line is null)
            throw new PodShellException(ErrorIds.ConmonFailed, FailureKind.RuntimeFailed, "conmon exited without reporting the container: " + ReadRuntimeLog(paths), id);

        using var doc = JsonDocument.Parse(line);
        int data = doc.RootElement.GetProperty("data").GetInt32();
        if (data <= 0)
        {
            var msg = doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            if (string.IsNullOrWhiteSpace(msg)) msg = ReadRuntimeLog(paths);
            throw new PodShellException(ErrorIds.RuntimeCreateFailed, FailureKind.RuntimeFailed, $"{runtime.Name} create failed: {OciRuntime.Clean(msg ?? "")}", id);
        }
        int conmonPid = 0;
        try { conmonPid = int.Parse(File.ReadAllText(paths.ConmonPidFile).Trim()); } catch (IOException) { } catch (FormatException) { }
        return new Launch(data, conmonPid);
    }

    /// <summary>A conmon watching one exec process. Holds the sync pipe: after the pid, conmon writes
    /// the exec's exit code on it when the process ends.</summary>
    public sealed class ExecLaunch : IDisposable
    {
        internal SyncPipe Sync { get; }
        public int Pid { get; }
        public int ConmonPid { get; }

        internal ExecLaunch(SyncPipe sync, int pid, int conmonPid)
        {
            Sync = sync;
            Pid = pid;
            ConmonPid = conmonPid;
        }

        /// <summary>The exit code conmon reports on the sync pipe, or null on EOF/timeout (the
        /// exit file in the exec dir then has it).</summary>
        public int? ReadExitCode(TimeSpan timeout, CancellationToken ct)
        {
            try
            {
                var line = Sync.ReadLine(timeout, ct);
                if (line is null) return null;
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("data").GetInt32();
            }
            catch (TimeoutException) { return null; }
            catch (JsonException) { return null; }
        }

        public void Dispose() => Sync.Dispose();
    }

    /// <summary>Start a process in a running container through a second conmon, as podman exec does:
    /// "runtime exec --detach --process spec" under a monitor that owns its stdio, writes its output
    /// to the exec log and its exit code to &lt;exec dir&gt;/exit (--persist-dir; no --exit-dir, whose
    /// file would be named after the container and clobber the container's own exit file).
    /// With <paramref name="onAttachReady"/>, conmon is run with --exec-attach -i: it creates the attach
    /// socket and the ctl FIFO in the exec dir, says so on _OCI_ATTACHPIPE, and only runs the runtime
    /// after the callback (which connects) has returned and we have written the start pipe again.</summary>
    public ExecLaunch Exec(OciRuntime runtime, ContainerPaths paths, string containerId, string name, ExecPaths exec,
        bool terminal, Action? onAttachReady, CancellationToken ct)
    {
        Directory.CreateDirectory(paths.SocketDir);
        var args = new List<string>
        {
            "--api-version", "1",
            "-c", containerId, "-u", exec.ExecId, "-n", name,
            "-r", runtime.Path,
            "-b", exec.Dir,
            "-p", exec.PidFile,
            "--persist-dir", exec.Dir,
            "--full-attach",
            "-l", "k8s-file:" + exec.LogFile,
            "--log-level", "warning",
            "--conmon-pidfile", exec.ConmonPidFile,
            "--socket-dir-path", paths.SocketDir,
            "--exec", "--exec-process-spec", exec.ProcessSpecFile,
        };
        if (terminal) args.Add("-t");
        bool attach = onAttachReady != null;
        if (attach) { args.Add("-i"); args.Add("--exec-attach"); }
        foreach (var g in runtime.GlobalArgs) { args.Add("--runtime-arg"); args.Add(g); }

        var sync = new SyncPipe();
        using var start = new StartPipe();
        using var attachPipe = attach ? new SyncPipe() : null;
        try
        {
            var env = new List<string>
            {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "_OCI_SYNCPIPE=3",
                "_OCI_STARTPIPE=4",
            };
            var fds = new List<(int, int)> { (sync.WriteFd, 3), (start.ReadFd, 4) };
            if (attachPipe != null) { env.Add("_OCI_ATTACHPIPE=5"); fds.Add((attachPipe.WriteFd, 5)); }
            // conmon puts its console socket in $TMPDIR; keep it out of a caller's odd TMPDIR.
            env.Add("TMPDIR=/tmp");
            int pid = Spawn(args, env, fds);
            sync.CloseWriteEnd();
            attachPipe?.CloseWriteEnd();
            start.CloseReadEnd();
            // The first read happens before conmon forks, so write before reaping its first process.
            start.Signal();
            int rc = PosixSpawn.Wait(pid);
            if (rc > 0)
                throw new PodShellException(ErrorIds.ConmonFailed, FailureKind.RuntimeFailed, $"conmon exited with code {rc} before starting the exec process.", containerId);

            if (attachPipe != null)
            {
                var ready = ReadMessage(attachPipe, "attach", containerId, exec, ct);
                if (ready < 0)
                    throw new PodShellException(ErrorIds.ExecAttachFailed, FailureKind.RuntimeFailed, "conmon could not set up the attach socket.", containerId);
                onAttachReady!();
                start.Signal();
            }

            int execPid = ReadMessage(sync, "exec", containerId, exec, ct);
            int conmonPid = 0;
            try { conmonPid = int.Parse(File.ReadAllText(exec.ConmonPidFile).Trim()); } catch (IOException) { } catch (FormatException) { }
            return new ExecLaunch(sync, execPid, conmonPid);
        }
        catch
        {
            sync.Dispose();
            throw;
        }
    }

    private static int ReadMessage(SyncPipe pipe, string what, string containerId, ExecPaths exec, CancellationToken ct)
    {
        string? line;
        try
        {
            line = pipe.ReadLine(TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            throw new PodShellException(ErrorIds.ConmonTimeout, FailureKind.RuntimeFailed, $"conmon did not answer ({what}) within 60 s.", containerId);
        }
        if (line is null)
            throw new PodShellException(ErrorIds.ConmonFailed, FailureKind.RuntimeFailed, $"conmon exited during {what} setup.", containerId);
        using var doc = JsonDocument.Parse(line);
        int data = doc.RootElement.GetProperty("data").GetInt32();
        if (data < 0 || (what == "exec" && data == 0))
        {
            var msg = doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            throw new PodShellException(ErrorIds.ExecFailed, FailureKind.RuntimeFailed,
                $"The runtime could not start the process: {OciRuntime.Clean(msg ?? "(no message)")}", containerId);
        }
        return data;
    }

    private static string ReadRuntimeLog(ContainerPaths paths)
    {
        try { return OciRuntime.Clean(File.ReadAllText(paths.RuntimeLogFile)); }
        catch (IOException) { return "(no runtime log)"; }
    }
}
