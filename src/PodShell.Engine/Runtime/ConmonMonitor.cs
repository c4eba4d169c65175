using System.Text.Json;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Runtime;

/// <summary>conmon as the per-container monitor, spoken to as Podman does (engine-reference §1): it
/// double-forks, becomes a subreaper that owns the container's stdio, runs "runtime create", reports
/// the container pid on the sync pipe, writes the k8s-file log and, at exit, the exit file.
/// A detached container therefore outlives the pwsh that started it.</summary>
public sealed class ConmonMonitor
{
    public string Path { get; }

    public ConmonMonitor(string path) => Path = path;

    public static ConmonMonitor Find()
    {
        var p = OciRuntime.FindExecutable("conmon")
            ?? throw new PodShellException("ConmonNotFound", FailureKind.NotSupported,
                "conmon was not found. Install it (apt-get install conmon) or run build.ps1 Bootstrap.", "conmon");
        return new ConmonMonitor(p);
    }

    public sealed record Launch(int ContainerPid, int ConmonPid);

    /// <summary>Start conmon for a created bundle and wait until the runtime has created the
    /// container (not started it: the caller runs "runtime start").</summary>
    public Launch Create(OciRuntime runtime, ContainerPaths paths, string id, string name, CancellationToken ct, long logSizeMax = long.MaxValue)
    {
        Directory.CreateDirectory(paths.RunDir);
        Directory.CreateDirectory(paths.ExitsDir);
        // conmon 2.1.6 dies silently in its child when its socket dir is missing (engine-reference §10.19).
        Directory.CreateDirectory(paths.SocketDir);
        File.Delete(paths.ExitFile);
        File.Delete(paths.OomFile);

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
        // At the limit conmon writes a new file and renames it over ctr.log: the log keeps at most this many bytes.
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
        int pid = PosixSpawn.Spawn(Path, args, env, new[] { (sync.WriteFd, 3) });
        sync.CloseWriteEnd();
        // The first conmon process exits as soon as it has forked the real monitor.
        int rc = PosixSpawn.Wait(pid);
        if (rc > 0)
            throw new PodShellException("ConmonFailed", FailureKind.RuntimeFailed, $"conmon exited with code {rc} before creating the container.", id);

        string? line;
        try
        {
            line = sync.ReadLine(TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            throw new PodShellException("ConmonTimeout", FailureKind.RuntimeFailed, "conmon did not report the container pid within 60 s.", id);
        }
        if (line is null)
            throw new PodShellException("ConmonFailed", FailureKind.RuntimeFailed, "conmon exited without reporting the container: " + ReadRuntimeLog(paths), id);

        using var doc = JsonDocument.Parse(line);
        int data = doc.RootElement.GetProperty("data").GetInt32();
        if (data <= 0)
        {
            var msg = doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            if (string.IsNullOrWhiteSpace(msg)) msg = ReadRuntimeLog(paths);
            throw new PodShellException("RuntimeCreateFailed", FailureKind.RuntimeFailed, $"{runtime.Name} create failed: {OciRuntime.Clean(msg ?? "")}", id);
        }
        int conmonPid = 0;
        try { conmonPid = int.Parse(File.ReadAllText(paths.ConmonPidFile).Trim()); } catch (IOException) { } catch (FormatException) { }
        return new Launch(data, conmonPid);
    }

    private static string ReadRuntimeLog(ContainerPaths paths)
    {
        try { return OciRuntime.Clean(File.ReadAllText(paths.RuntimeLogFile)); }
        catch (IOException) { return "(no runtime log)"; }
    }
}
