using System.Collections.Concurrent;
using PodShell.Engine.Cgroups;
using PodShell.Engine.Containers;
using PodShell.Engine.Images;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine;

/// <summary>The one facade the cmdlets hold. Daemonless: every instance works straight on the shared
/// SQLite store, the layer store, cgroupfs and the OCI runtime, so any number of pwsh processes can
/// use the same roots at once.</summary>
public sealed partial class ContainerEngine
{
    private static readonly ConcurrentDictionary<EngineOptions, ContainerEngine> Engines = new();

    /// <summary>The stores and host facts every service shares (Engine/EngineContext.cs).</summary>
    internal EngineContext Context { get; }

    public EngineOptions Options => Context.Options;
    public StateStore Store => Context.Store;
    public LayerStore Layers => Context.Layers;
    public CgroupMode CgroupMode => Context.CgroupMode;
    public ICgroupDriver Cgroups => Context.Cgroups;

    /// <summary>The engine for these roots, created once per process.</summary>
    public static ContainerEngine Get(EngineOptions options) => Engines.GetOrAdd(options, o => new ContainerEngine(o));

    /// <summary>The engine for the roots named by the environment (PODSHELL_GRAPHROOT, PODSHELL_RUNROOT).</summary>
    public static ContainerEngine FromEnvironment() => Get(EngineOptions.FromEnvironment());

    public ContainerEngine(EngineOptions options)
    {
        Context = new EngineContext(options);
        _sweeper = new StoreSweeper(Context);
        _gc = new GarbageCollector(Context, _sweeper);
        _registrar = new ImageRegistrar(Context, _sweeper);
        _images = new ImageService(Context, _sweeper, _gc, (id, ct) => Services.Lifecycle.Remove(id, true, ct));
        _archives = new ImageArchiveService(Context, _registrar, _images);
        _registry = new RegistryService(Context, _registrar, _images);
        _storageUsage = new StorageUsageReport(Context, _sweeper);
        // What a killed pwsh left in the layer and blob stores is finished when a process first opens them.
        SweepStore();
    }

    public OciRuntime Runtime => Context.Runtime;
    public ConmonMonitor Conmon => Context.Conmon;

    public ContainerPaths PathsFor(string id) => Context.PathsFor(id);
}
