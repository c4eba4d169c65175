using PodShell.Engine.Containers;
using PodShell.Engine.Images;

using PodShell.Engine.Network;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>The wiring of the container services (Containers/ContainerServices.cs) to the network, volume and image
/// services behind the seams they ask for (Containers/ContainerSeams.cs). Dependencies point down only: the adapters
/// below hold the services, never the facade, and the network and volume services reach the container services through
/// <see cref="ContainerCallbacks"/>, which holds only a function returning them (they need each other, so one side
/// must be late).</summary>
public sealed partial class ContainerEngine
{
    private ContainerServices? _containers;
    private NetworkService? _networkService;
    private VolumeService? _volumeService;
    private ContainerCallbacks? _containerCallbacks;

    internal ContainerServices Services =>
        LazyInitializer.EnsureInitialized(ref _containers,
            () => new ContainerServices(Context, new NetworkSeam(NetworkService), new VolumeSeam(VolumeService),
                new ImageSeam(_images, _registrar, _sweeper, _archives)));

    internal NetworkService NetworkService =>
        LazyInitializer.EnsureInitialized(ref _networkService,
            () => new NetworkService(Context, Context.Host.NetworkDrivers(Options.RunRoot), ContainerCallbacks));

    internal VolumeService VolumeService =>
        LazyInitializer.EnsureInitialized(ref _volumeService, () => new VolumeService(Context, ContainerCallbacks));

    private ContainerCallbacks ContainerCallbacks =>
        LazyInitializer.EnsureInitialized(ref _containerCallbacks, () => new ContainerCallbacks(() => Services));

    private sealed class NetworkSeam(NetworkService n) : IContainerNetworking
    {
        public void ApplyOptions(CreateOptions o, Container c) => n.ApplyNetworkOptions(o, c);
        public void Setup(Container c, ContainerPaths paths) => n.SetupNetwork(c, paths);
        public void Teardown(string id) => n.TeardownNetwork(id);
        public string SpecNetworkMode(Container c) => n.SpecNetworkMode(c);
        public string SharedNamespacePath(string mode, string type) => n.SharedNamespacePath(mode, type);
    }

    private sealed class VolumeSeam(VolumeService v) : IContainerVolumes
    {
        public List<SpecMount> ResolveMounts(string containerId, string[] specs, bool createMissing) => v.ResolveVolumeMounts(containerId, specs, createMissing);
        public void Release(string containerId) => v.ReleaseVolumes(containerId);
    }

    private sealed class ImageSeam(ImageService images, ImageRegistrar registrar, StoreSweeper sweeper, ImageArchiveService archives) : IContainerImages
    {
        public ContainerImage Resolve(string nameOrId) => images.Resolve(nameOrId);
        public IReadOnlyList<ContainerImage> List() => images.List();
        public void SweepIfChanged() => sweeper.SweepIfChanged();
        public string ScratchDir => archives.ScratchDir;
        public ContainerImage Register(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names, CancellationToken ct) =>
            registrar.Register(configJson, layers, names, null, null, ct);
    }
}
