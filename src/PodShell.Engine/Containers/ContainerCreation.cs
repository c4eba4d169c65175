using System.Security.Cryptography;
using PodShell.Engine.Bundle;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Containers;

/// <summary>New-Container: every option checked and resolved onto the record before anything exists, then the record
/// inserted (which claims the name), the writable layer made and mounted, the command looked for, the bundle written.
/// Any failure undoes every step, so a bad request leaves nothing behind.</summary>
internal sealed class ContainerCreation
{
    private readonly EngineContext _ctx;
    private readonly ContainerLocks _locks;
    private readonly ContainerRootfs _rootfs;
    private readonly ContainerCleanup _cleanup;
    private readonly BundleWriter _bundle;
    private readonly IContainerImages _images;
    private readonly IContainerNetworking _network;

    public ContainerCreation(EngineContext ctx, ContainerLocks locks, ContainerRootfs rootfs, ContainerCleanup cleanup,
        BundleWriter bundle, IContainerImages images, IContainerNetworking network)
    {
        _ctx = ctx;
        _locks = locks;
        _rootfs = rootfs;
        _cleanup = cleanup;
        _bundle = bundle;
        _images = images;
        _network = network;
    }

    /// <summary>Create a container: record, writable layer, overlay mount, /etc files and config.json.
    /// Any failure undoes every step, so a bad request leaves nothing behind.</summary>
    public Container Create(CreateOptions o, CancellationToken ct = default)
    {
        // Every option parsed and checked (one place, one ErrorId each) before anything is looked up or made.
        Configuration.ContainerConfig.FromOptions(o, Environment.ProcessorCount);

        if (o.Init && BundleWriter.InitBinary() is null)
            throw new PodShellException(ErrorIds.InitNotFound, FailureKind.NotSupported,
                "-Init needs catatonit on the host (apt-get install catatonit, or build.ps1 Bootstrap).", "catatonit");
        // No limit asked for gets the default one: a runaway writer must not fill the disk (issue 15).
        var logSizeMax = K8sFileLog.ResolveSizeMax(o.LogSizeMax);
        var image = _images.Resolve(o.Image);
        var stopSignal = o.StopSignal ?? (string.IsNullOrEmpty(image.Config.StopSignal) ? "SIGTERM" : image.Config.StopSignal);
        Signals.Parse(stopSignal); // refuse a bad signal now, not at stop time
        var labels = new Dictionary<string, string>(image.Config.Labels);
        if (o.Labels != null) foreach (var kv in o.Labels) labels[kv.Key] = kv.Value;
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var paths = _ctx.PathsFor(id);

        var args = (o.Entrypoint ?? image.Config.Entrypoint).Concat(
            o.Command is { Length: > 0 } ? o.Command : (o.Entrypoint != null ? Array.Empty<string>() : image.Config.Cmd)).ToArray();
        if (o.Command is { Length: > 0 } && o.Entrypoint == null)
            args = image.Config.Entrypoint.Concat(o.Command).ToArray();
        if (args.Length == 0)
            throw new PodShellException(ErrorIds.NoCommand, FailureKind.InvalidArgument,
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
            PidsMax = o.PidsLimit is > 0 ? o.PidsLimit.Value : (o.PidsLimit is null ? Configuration.ContainerResources.DefaultPidsLimit : long.MaxValue),
            Network = "none",
            Labels = labels,
            AutoRemove = o.AutoRemove,
            Init = o.Init,
            User = o.User ?? image.Config.User,
            StopSignal = stopSignal,
            Runtime = _ctx.Runtime.Name,
            BundlePath = paths.BundleDir,
            LayerId = id,
            Mounts = o.Volumes ?? Array.Empty<string>(),
            LogSizeMax = logSizeMax,
        };
        container.Rootless = _ctx.Host.Rootless;
        if (!_ctx.Host.LimitsEnforcement.Enforced)
        {
            // Only what the kernel enforces is recorded: a rootless container without delegation has no limits.
            container.MemoryMax = long.MaxValue;
            container.Cpus = double.PositiveInfinity;
            container.PidsMax = long.MaxValue;
        }
        SecurityOptions.Apply(o, container, image);
        _network.ApplyOptions(o, container);
        var record = new ContainerRecord { Container = container, OwnerPid = self.Pid, OwnerStart = self.Start };

        // Held until the record is Created (or gone): Remove-ContainerImage -Force may count this container as a
        // user as soon as it is inserted, and its RemoveContainer then waits here instead of removing the
        // container from under the create.
        using var createLock = _locks.Lock(id, ct);
        // The name is claimed by the INSERT itself; a generated name that collides is simply redrawn. The INSERT
        // also checks, in its transaction, that the image still exists.
        for (int attempt = 0; ; attempt++)
        {
            try { _ctx.Store.InsertContainer(record, requireImage: true); break; }
            catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNameInUse && o.Name == null && attempt < 20)
            {
                container.Name = NameGenerator.Next() + (attempt > 5 ? "_" + id[..4] : "");
            }
        }

        try
        {
            ct.ThrowIfCancellationRequested();
            PrepareFilesystem(container, image, paths);
            CheckCommandExists(container, paths);
            _bundle.Write(container, paths);
            container.State = ContainerState.Created;
            record.OwnerPid = 0;
            record.OwnerStart = 0;
            _ctx.Store.UpdateContainer(record);
            return container;
        }
        catch
        {
            // The original failure is what the user needs; a cleanup problem is left for the next
            // Get-Container, which finishes a Creating record whose owner is gone.
            try
            {
                _cleanup.DestroyArtifacts(container.Id);
                _ctx.Store.DeleteContainer(container.Id);
            }
            catch (Exception cleanup) when (cleanup is PodShellException or IOException) { }
            throw;
        }
    }

    internal static string[] MergeEnvironment(string[] imageEnv, IDictionary<string, string>? user)
    {
        var env = new List<KeyValuePair<string, string>>();
        void Set(string k, string v)
        {
            int i = env.FindIndex(p => p.Key == k);
            if (i >= 0) env[i] = new(k, v); else env.Add(new(k, v));
        }
        Set("PATH", Images.ImageRegistrar.DefaultPath);
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
        _images.SweepIfChanged(); // a create makes a layer: finish what killed ones left (ContainerEngine.StoreSweep)
        var lowerTopFirst = Enumerable.Reverse(image.Layers).ToList();
        _ctx.Layers.CreateContainerLayer(c.Id, lowerTopFirst);
        Directory.CreateDirectory(paths.BundleDir);
        Directory.CreateDirectory(paths.RunDir);
        _rootfs.Mount(c.Id, lowerTopFirst);
    }

    /// <summary>A command that does not exist in the image is reported at create time, with its name,
    /// rather than as a runtime failure at start.</summary>
    private void CheckCommandExists(Container c, ContainerPaths paths)
    {
        var cmd = c.Command[0];
        // A fuse-overlayfs mount (rootless fallback) cannot be read from outside its user namespace: the runtime
        // reports a missing command at start instead.
        if (!_rootfs.IsReadable(c.Id)) return;
        var rootfs = _rootfs.View(c.Id);
        IEnumerable<string> candidates;
        if (cmd.Contains('/'))
        {
            candidates = new[] { cmd.StartsWith('/') ? cmd : Path.Combine(c.WorkingDirectory, cmd) };
        }
        else
        {
            var pathVar = c.Environment.FirstOrDefault(e => e.StartsWith("PATH="))?[5..] ?? Images.ImageRegistrar.DefaultPath;
            candidates = pathVar.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => d.TrimEnd('/') + "/" + cmd);
        }
        foreach (var cand in candidates)
        {
            if (RootedPath.IsFile(rootfs, cand)) return;
        }
        throw new PodShellException(ErrorIds.CommandNotFound, FailureKind.NotFound,
            $"The command '{cmd}' does not exist in image '{c.Image}'.", cmd);
    }
}
