using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Images;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>The shared parts of one engine (one pair of roots), made once and handed to every service. It holds
/// stores and host facts only, never behaviour: services depend on it, it depends on none of them, so the
/// dependencies point down (docs/design.md, "Engine map").</summary>
internal sealed class EngineContext
{
    private OciRuntime? _runtime;
    private ConmonMonitor? _conmon;
    private BlobStore? _blobs;

    public EngineOptions Options { get; }
    public StateStore Store { get; }
    public LayerStore Layers { get; }
    public CgroupMode CgroupMode { get; }
    public ICgroupDriver Cgroups { get; }
    /// <summary>The user namespace of an ordinary user's containers; null when the engine runs as root.</summary>
    public Rootless.UserNamespace? UserNamespace { get; }
    /// <summary>Root or rootless, chosen once here: what differs between them is asked of this (Hosting/IHostMode.cs).</summary>
    public Hosting.IHostMode Host { get; }

    public EngineContext(EngineOptions options)
    {
        Options = options;
        Directory.CreateDirectory(options.GraphRoot);
        UserNamespace = Hosting.HostMode.PrepareRunRoot(options);
        Store = new StateStore(Path.Combine(options.GraphRoot, "podshell.db"));
        Layers = new LayerStore(Path.Combine(options.GraphRoot, "overlay"), UserNamespace);
        CgroupMode = CgroupHost.Detect();
        Cgroups = CgroupHost.CreateDriver(CgroupMode);
        Host = Hosting.HostMode.For(options, CgroupMode, UserNamespace);
    }

    /// <summary>Blobs (configs, manifests, compressed layers) by digest; made on first use.</summary>
    public BlobStore Blobs => _blobs ??= new BlobStore(Path.Combine(Options.GraphRoot, "blobs"));

    // The host mode says how they are launched (rootless: inside the user namespace).
    public OciRuntime Runtime => _runtime ??= WithLauncher(OciRuntime.Select(CgroupMode, Path.Combine(Options.RunRoot, "runtime")));
    public ConmonMonitor Conmon => _conmon ??= WithLauncher(ConmonMonitor.Find());

    private OciRuntime WithLauncher(OciRuntime r) { r.Launcher = Host.Launcher; return r; }
    private ConmonMonitor WithLauncher(ConmonMonitor m) { m.Launcher = Host.Launcher; return m; }

    public ContainerPaths PathsFor(string id) => new(Options.GraphRoot, Options.RunRoot, id);

    /// <summary>Where a container's overlay is mounted (in the user's mount namespace when rootless).</summary>
    public string MergedDir(string id) => Path.Combine(Layers.Root, id, "merged");
}
