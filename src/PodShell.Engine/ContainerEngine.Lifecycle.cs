using System.Security.Cryptography;
using PodShell.Engine.Containers;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    private FileLock LockContainer(string id, CancellationToken ct = default) =>
        FileLock.Acquire(Path.Combine(Options.RunRoot, "locks", id + ".lock"), LockTimeout, ct);

    /// <summary>Create a container: record, writable layer, overlay mount, /etc files and config.json.
    /// Any failure undoes every step, so a bad request leaves nothing behind.</summary>
    public Container CreateContainer(CreateOptions o, CancellationToken ct = default)
    {
        // Every option parsed and checked (one place, one ErrorId each) before anything is looked up or made.
        Configuration.ContainerConfig.FromOptions(o, Environment.ProcessorCount);

        if (o.Init && InitBinary() is null)
            throw new PodShellException("InitNotFound", FailureKind.NotSupported,
                "-Init needs catatonit on the host (apt-get install catatonit, or build.ps1 Bootstrap).", "catatonit");
        // No limit asked for gets the default one: a runaway writer must not fill the disk (issue 15).
        var logSizeMax = K8sFileLog.ResolveSizeMax(o.LogSizeMax);
        var image = ResolveImage(o.Image);
        var stopSignal = o.StopSignal ?? (string.IsNullOrEmpty(image.Config.StopSignal) ? "SIGTERM" : image.Config.StopSignal);
        Signals.Parse(stopSignal); // refuse a bad signal now, not at stop time
        var labels = new Dictionary<string, string>(image.Config.Labels);
        if (o.Labels != null) foreach (var kv in o.Labels) labels[kv.Key] = kv.Value;
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var paths = PathsFor(id);

        var args = (o.Entrypoint ?? image.Config.Entrypoint).Concat(
            o.Command is { Length: > 0 } ? o.Command : (o.Entrypoint != null ? Array.Empty<string>() : image.Config.Cmd)).ToArray();
        if (o.Command is { Length: > 0 } && o.Entrypoint == null)
            args = image.Config.Entrypoint.Concat(o.Command).ToArray();
        if (args.Length == 0)
            throw new PodShellException("NoCommand", FailureKind.InvalidArgument,
                $"Image '{image.Name}' has no default command: give one, e.g. New-Container {image.Name} -Command sleep,infinity.", image.Name);

        var env = MergeEnvironment(image.Config.Env, o.Environment);
        var self = ProcStat.Self();
        var container = new Container
        {
            Id = id,
            Name = o.Name ?? NameGenerator.Next(),
            Image = image.Name,
            ImageId = image.Id,
            State = ContainerState.Creating,
            Created = DateTime.UtcNow,
            Command = args,
            Entrypoint = o.Entrypoint ?? image.Config.Entrypoint,
            Hostname = o.Hostname ?? id[..12],
            WorkingDirectory = o.WorkingDirectory ?? (string.IsNullOrEmpty(image.Config.WorkingDir) ? "/" : image.Config.WorkingDir),
            Environment = env,
            MemoryMax = o.Memory ?? long.MaxValue,
            Cpus = o.Cpus ?? double.PositiveInfinity,
            PidsMax = o.PidsLimit is > 0 ? o.PidsLimit.Value : (o.PidsLimit is null ? DefaultPidsLimit : long.MaxValue),
            Network = "none",
            Labels = labels,
            AutoRemove = o.AutoRemove,
            Init = o.Init,
            User = o.User ?? image.Config.User,
            StopSignal = stopSignal,
            Runtime = Runtime.Name,
            BundlePath = paths.BundleDir,
            LayerId = id,
            Mounts = o.Volumes ?? Array.Empty<string>(),
            LogSizeMax = logSizeMax,
        };
        container.Rootless = Options.Rootless;
        if (!LimitsEnforcement.Enforced)
        {
            // Only what the kernel enforces is recorded: a rootless container without delegation has no limits.
            container.MemoryMax = long.MaxValue;
            container.Cpus = double.PositiveInfinity;
            container.PidsMax = long.MaxValue;
        }
        ApplySecurityOptions(o, container, image);
        ApplyNetworkOptions(o, container);
        var record = new ContainerRecord { Container = container, OwnerPid = self.Pid, OwnerStart = self.Start };

        // Held until the record is Created (or gone): Remove-ContainerImage -Force may count this container as a
        // user as soon as it is inserted, and its RemoveContainer then waits here instead of removing the
        // container from under the create.
        using var createLock = LockContainer(id, ct);
        // The name is claimed by the INSERT itself; a generated name that collides is simply redrawn. The INSERT
        // also checks, in its transaction, that the image still exists.
        for (int attempt = 0; ; attempt++)
        {
            try { Store.InsertContainer(record, requireImage: true); break; }
            catch (PodShellException e) when (e.ErrorId == "ContainerNameInUse" && o.Name == null && attempt < 20)
            {
                container.Name = NameGenerator.Next() + (attempt > 5 ? "_" + id[..4] : "");
            }
        }

        try
        {
            ct.ThrowIfCancellationRequested();
            PrepareFilesystem(container, image, paths);
            CheckCommandExists(container, paths);
            WriteBundle(container, paths);
            container.State = ContainerState.Created;
            record.OwnerPid = 0;
            record.OwnerStart = 0;
            Store.UpdateContainer(record);
            return container;
        }
        catch
        {
            // The original failure is what the user needs; a cleanup problem is left for the next
            // Get-Container, which finishes a Creating record whose owner is gone.
            try
            {
                DestroyArtifacts(container.Id);
                Store.DeleteContainer(container.Id);
            }
            catch (Exception cleanup) when (cleanup is PodShellException or IOException) { }
            throw;
        }
    }

    /// <summary>Podman's default pids limit (containers.conf pids_limit); defined in ContainerResources.</summary>
    public const long DefaultPidsLimit = Configuration.ContainerResources.DefaultPidsLimit;

    private static string[] MergeEnvironment(string[] imageEnv, IDictionary<string, string>? user)
    {
        var env = new List<KeyValuePair<string, string>>();
        void Set(string k, string v)
        {
            int i = env.FindIndex(p => p.Key == k);
            if (i >= 0) env[i] = new(k, v); else env.Add(new(k, v));
        }
        Set("PATH", DefaultPath);
        Set("container", "podshell");
        foreach (var e in imageEnv)
        {
            int eq = e.IndexOf('=');
            if (eq > 0) Set(e[..eq], e[(eq + 1)..]);
        }
        if (user != null) foreach (var kv in user) Set(kv.Key, kv.Value);
        return env.Select(p => $"{p.Key}={p.Value}").ToArray();
    }

    private void PrepareFilesystem(Container c, ContainerImage image, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Mount, "layer + overlay");
        SweepStoreIfChanged(); // a create makes a layer: finish what killed ones left (ContainerEngine.StoreSweep)
        var lowerTopFirst = Enumerable.Reverse(image.Layers).ToList();
        var layer = Layers.CreateContainerLayer(c.Id, lowerTopFirst);
        Directory.CreateDirectory(paths.BundleDir);
        Directory.CreateDirectory(paths.RunDir);
        MountRootfs(c.Id, lowerTopFirst, layer);
    }

    private string MergedDir(string id) => Context.MergedDir(id);

    private void MountRootfs(string id, IReadOnlyList<string> lowerTopFirst, LayerInfo? layer = null)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Mount, "overlay");
        var merged = MergedDir(id);
        if (IsRootfsMounted(id)) return;
        var root = Path.Combine(Layers.Root, id);
        var lowers = lowerTopFirst.Select(Layers.LinkPath).ToList();
        if (UserNamespace is { } ns)
            ns.MountOverlay(OverlayMount.Options(lowers, Path.Combine(root, "diff"), Path.Combine(root, "work"), merged), merged);
        else
            OverlayMount.Mount(lowers, Path.Combine(root, "diff"), Path.Combine(root, "work"), merged);
    }

    /// <summary>A command that does not exist in the image is reported at create time, with its name,
    /// rather than as a runtime failure at start.</summary>
    private void CheckCommandExists(Container c, ContainerPaths paths)
    {
        var cmd = c.Command[0];
        // A fuse-overlayfs mount (rootless fallback) cannot be read from outside its user namespace: the runtime
        // reports a missing command at start instead.
        if (!RootfsReadable(c.Id)) return;
        var rootfs = RootfsView(c.Id);
        IEnumerable<string> candidates;
        if (cmd.Contains('/'))
        {
            candidates = new[] { cmd.StartsWith('/') ? cmd : Path.Combine(c.WorkingDirectory, cmd) };
        }
        else
        {
            var pathVar = c.Environment.FirstOrDefault(e => e.StartsWith("PATH="))?[5..] ?? DefaultPath;
            candidates = pathVar.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => d.TrimEnd('/') + "/" + cmd);
        }
        foreach (var cand in candidates)
        {
            if (RootedPath.IsFile(rootfs, cand)) return;
        }
        throw new PodShellException("CommandNotFound", FailureKind.NotFound,
            $"The command '{cmd}' does not exist in image '{c.Image}'.", cmd);
    }

    /// <summary>Start a Created (or Exited) container under conmon. Only one process can start a given
    /// container: the transition to Starting is a compare-and-set in the store. With <paramref name="attached"/>
    /// (Invoke-Container reading the output) an -AutoRemove container stays owned by this process after the start,
    /// so that another process folding its exit leaves it (and its log) for this one to remove; the caller ends
    /// the hold with <see cref="ReleaseAutoRemove"/>, and a killed caller's hold ends with it.</summary>
    public Container StartContainer(string id, CancellationToken ct = default, bool attached = false)
    {
        EnsureRunRoot();
        using var _ = LockContainer(id, ct);
        var current = Reconcile(Store.GetContainer(id) ?? throw NotFound(id));
        if (current is null) throw NotFound(id);
        if (current.Container.State == ContainerState.Running) return current.Container;
        var self = ProcStat.Self();
        var r = Store.TryTransition(id, new[] { ContainerState.Created, ContainerState.Exited }, ContainerState.Starting, self.Pid, self.Start)
            ?? throw new PodShellException("InvalidContainerState", FailureKind.InvalidState,
                $"Container '{current.Container.Name}' is {current.Container.State} and cannot be started now.", current.Container);
        var c = r.Container;
        var previous = current.Container.State;
        var paths = PathsFor(id);
        try
        {
            var image = GetImages().FirstOrDefault(i => i.Id == c.ImageId);
            // Under the mount lock: a copy into the exited container that ends now reads Starting, and leaves the mount.
            using (LockMount(id))
                MountRootfs(id, (image == null ? null : Enumerable.Reverse(image.Layers))?.ToList() ?? ReadLowerLayers(id));
            // A killed start is undone by the next reconcile, which waits for runc to have written this pid file (its
            // create is done) before it deletes the container: one left from an earlier run must not count.
            if (Directory.Exists(paths.RunDir)) { File.Delete(paths.PidFile); File.Delete(paths.ConmonPidFile); }
            // A leftover from an earlier run would make "create" fail; only look when there is one
            // (a runtime call is about 20 ms of every start).
            if (Directory.Exists(Path.Combine(Runtime.StateRoot, id))) Runtime.Delete(id);
            // The generated /etc files live on the run root (tmpfs): after a reboot they are gone.
            if (!File.Exists(paths.HostnameFile)) { Directory.CreateDirectory(paths.RunDir); WriteBundle(c, paths); }
            // A shared namespace may be /proc/<pid>/ns/... of the other container: only valid for this start.
            else if (SharesNamespaces(c)) WriteBundle(c, paths);
            SetupNetwork(c, paths);
            PrepareRootlessCgroup();
            var launch = Conmon.Create(Runtime, paths, id, c.Name, ct, c.LogSizeMax);
            r.PidStart = ProcStat.StartTime(launch.ContainerPid);
            Runtime.Start(id, launch.ContainerPid, r.PidStart);
            c.State = ContainerState.Running;
            c.BootId = BootId;
            c.Pid = launch.ContainerPid;
            c.StartedAt = DateTime.UtcNow;
            c.FinishedAt = null;
            c.ExitCode = null;
            c.OomKilled = false;
            r.ConmonPid = launch.ConmonPid;
            bool hold = attached && c.AutoRemove;
            r.OwnerPid = hold ? self.Pid : 0;
            r.OwnerStart = hold ? self.Start : 0;
            Store.UpdateContainer(r);
            return c;
        }
        catch
        {
            try { Runtime.Delete(id); } catch (PodShellException) { }
            try { TeardownNetwork(id); } catch (Exception e) when (e is PodShellException or IOException) { }
            c.IPAddresses = Array.Empty<string>();
            c.State = previous;
            c.Pid = 0;
            r.OwnerPid = 0;
            r.OwnerStart = 0;
            Store.UpdateContainer(r);
            throw;
        }
    }

    private List<string> ReadLowerLayers(string id) =>
        Store.GetContainer(id) is { } r && GetImages().FirstOrDefault(i => i.Id == r.Container.ImageId) is { } img
            ? Enumerable.Reverse(img.Layers).ToList() : new List<string>();

    /// <summary>Send the stop signal, wait up to <paramref name="timeoutSeconds"/>, then SIGKILL,
    /// as podman stop does. Stopping a container that is not running does nothing.</summary>
    public Container StopContainer(string id, int timeoutSeconds = 10, int? signal = null, CancellationToken ct = default)
    {
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        if (r.Container.State is not (ContainerState.Running or ContainerState.Paused)) return r.Container;
        // A frozen task does not act on signals (not even SIGKILL on cgroup v1) until it is thawed.
        if (r.Container.State == ContainerState.Paused) ThawForStop(r);
        // As podman: a timeout of 0 skips the stop signal and goes straight to SIGKILL.
        if (timeoutSeconds > 0 || signal != null)
        {
            Runtime.Kill(id, signal ?? Signals.Parse(r.Container.StopSignal));
            if (WaitForExitFile(r, TimeSpan.FromSeconds(Math.Max(0, timeoutSeconds)), ct))
                return (Reconcile(Store.GetContainer(id)!) ?? r).Container;
        }
        KillAll(r);
        WaitForExitFile(r, TimeSpan.FromSeconds(10), ct);
        return (Reconcile(Store.GetContainer(id)!) ?? r).Container;
    }

    /// <summary>SIGKILL to every process of a running container. With its own PID namespace, killing its init (pinned
    /// by a pidfd, checked by start time) makes the kernel kill the rest of the namespace (pid_namespaces(7)): what
    /// `runc kill --all KILL` achieves by walking the cgroup, without a runtime exec (~11 ms). A shared or host PID
    /// namespace, and a rootless container (its processes belong to the user namespace), go through the runtime.</summary>
    private void KillAll(ContainerRecord r)
    {
        if (!Options.Rootless && r.Container.PidMode == "private")
        {
            using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Runtime, "kill (pidfd)");
            if (PidFd.SignalIfSame(r.Container.Pid, r.PidStart, 9)) return;
        }
        Runtime.Kill(r.Container.Id, 9, all: true);
    }

    /// <summary>Waits for conmon's exit file. The pids do not change while the caller holds the container's lock, so
    /// they are read once; the check is a stat and two /proc reads, cheap enough to repeat every 5 ms.</summary>
    private bool WaitForExitFile(ContainerRecord r, TimeSpan timeout, CancellationToken ct)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Wait, "exit file");
        var exit = PathsFor(r.Container.Id).ExitFile;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(exit)) return true;
            // Without an exit file, a dead init and a dead monitor also mean "exited".
            if (!ProcStat.IsAlive(r.Container.Pid, r.PidStart) && !ProcStat.IsAlive(r.ConmonPid, 0)) return true;
            if (DateTime.UtcNow >= deadline) return false;
            ct.ThrowIfCancellationRequested();
            Thread.Sleep(5);
        }
    }

    /// <summary>Remove a container and everything it owns: runtime state, cgroup, mount, layer, files,
    /// record. A running container needs force (then it is killed first). Every step is idempotent, so a
    /// removal interrupted half-way is finished by the next call.</summary>
    public void RemoveContainer(string id, bool force, CancellationToken ct = default)
    {
        using var _ = LockContainer(id, ct);
        var r = Reconcile(Store.GetContainer(id) ?? throw NotFound(id)) ?? throw NotFound(id);
        if (r.Container.State is ContainerState.Running or ContainerState.Stopping or ContainerState.Paused)
        {
            if (r.Container.State == ContainerState.Paused && force) ThawForStop(r);
            if (!force)
                throw new PodShellException("ContainerRunning", FailureKind.InvalidState,
                    $"Container '{r.Container.Name}' is running. Stop it first, or use -Force.", r.Container);
            KillAll(r);
            WaitForExitFile(r, TimeSpan.FromSeconds(10), ct);
        }
        r.Container.State = ContainerState.Removing;
        var self = ProcStat.Self();
        r.OwnerPid = self.Pid;
        r.OwnerStart = self.Start;
        Store.UpdateContainer(r);
        DestroyArtifacts(id);
        Store.DeleteContainer(id);
    }

    /// <summary>Undo everything a container may have on the host. Idempotent; order matters: the
    /// runtime goes first (it removes the cgroup), the mount before the layer directory.</summary>
    private void DestroyArtifacts(string id, bool exited = false)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Cleanup);
        var paths = PathsFor(id);
        var errors = new List<string>();
        void Try(string step, Action a) { using var t = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Cleanup, step); try { a(); } catch (Exception e) when (e is PodShellException or IOException or UnauthorizedAccessException) { errors.Add(e.Message); } }
        Try("runtime", () => { if (exited) ForgetExited(id, "private"); else if (Directory.Exists(Path.Combine(Runtime.StateRoot, id))) Runtime.Delete(id); });
        Try("cgroup", () => { if (CgroupsPathFor(id) is { Length: > 0 } cg) Cgroups.Remove(cg); });
        Try("network", () => TeardownNetwork(id));
        Try("unmount", () => UnmountRootfs(id));
        Try("layer", () => Layers.Delete(id));
        Try("bundle dir", () => { if (Directory.Exists(paths.BundleDir)) Directory.Delete(paths.BundleDir, true); });
        // Under the mount lock: a fold in another process adds its rootfs hold under it only while the run dir exists.
        Try("run dir", () => { using (LockMount(id)) if (Directory.Exists(paths.RunDir)) Directory.Delete(paths.RunDir, true); });
        // File.Delete throws when the directory is missing, as exits/ and locks/ are on a fresh run root.
        Try("exit file", () => { if (File.Exists(paths.ExitFile)) File.Delete(paths.ExitFile); });
        Try("lock file", () => { var l = Path.Combine(Options.RunRoot, "locks", id + ".lock"); if (File.Exists(l)) File.Delete(l); });
        Try("mount lock file", () => { var l = Path.Combine(Options.RunRoot, "locks", id + ".mount.lock"); if (File.Exists(l)) File.Delete(l); });
        Try("volumes", () => ReleaseVolumes(id));
        if (errors.Count > 0)
            throw new PodShellException("CleanupIncomplete", FailureKind.ResourceBusy,
                $"Container {id[..12]} could not be cleaned up completely: {string.Join("; ", errors)}", id);
    }

    /// <summary>The runtime forgets an exited container. "runc delete" of a stopped container removes its state
    /// directory and its cgroup, nothing else (no hooks here); with the init dead, and with it the container's own PID
    /// namespace, the engine does both itself and saves a runtime exec, about 20 ms of every run-to-exit. A
    /// container in the host's PID namespace may leave processes in its cgroup: that one goes through the runtime.</summary>
    private void ForgetExited(string id, string pidMode)
    {
        var state = Path.Combine(Runtime.StateRoot, id);
        if (!Directory.Exists(state)) return;
        if (pidMode == "host") { Runtime.Delete(id); return; }
        // The cgroup first: when its removal fails, the state dir stays and the next cleanup tries again.
        if (CgroupsPathFor(id) is { Length: > 0 } cg) Cgroups.Remove(cg);
        Directory.Delete(state, recursive: true);
    }

    /// <summary>Block until the container has exited and return its exit code (podman wait).</summary>
    public int WaitContainer(string id, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        Container c;
        try
        {
            c = GetContainer(id);
        }
        catch (PodShellException e) when (e.ErrorId == "ContainerNotFound" && LastExit.TryGetValue(id, out var gone))
        {
            return gone.ExitCode ?? -1; // auto-removed the moment it was looked at
        }
        if (c.State == ContainerState.Created)
            throw new PodShellException("ContainerNotRunning", FailureKind.InvalidState,
                $"Container '{c.Name}' has not been started, so there is nothing to wait for.", c);
        return WaitForState(c.Id, new[] { ContainerState.Exited }, timeout, ct).ExitCode ?? -1;
    }

    private static PodShellException NotFound(string idOrName) =>
        new("ContainerNotFound", FailureKind.NotFound, $"No container with the name or id '{idOrName}' exists.", idOrName);
}
