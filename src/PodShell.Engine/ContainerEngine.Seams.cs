using PodShell.Engine.Containers;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>The container services (Containers/ContainerServices.cs) and, for now, the facade's own network, volume
/// and image methods behind the seams those services ask for (Containers/ContainerSeams.cs). When the network, volume
/// and image areas become services of their own, these adapters are replaced by them; the container services do not
/// change.</summary>
public sealed partial class ContainerEngine
{
    private ContainerServices? _containers;

    internal ContainerServices Services =>
        LazyInitializer.EnsureInitialized(ref _containers,
            () => new ContainerServices(Context, new NetworkSeam(this), new VolumeSeam(this), new ImageSeam(this)));

    private sealed class NetworkSeam(ContainerEngine e) : IContainerNetworking
    {
        public void ApplyOptions(CreateOptions o, Container c) => e.ApplyNetworkOptions(o, c);
        public void Setup(Container c, ContainerPaths paths) => e.SetupNetwork(c, paths);
        public void Teardown(string id) => e.TeardownNetwork(id);
        public string SpecNetworkMode(Container c) => e.SpecNetworkMode(c);
        public string SharedNamespacePath(string mode, string type) => e.SharedNamespacePath(mode, type);
    }

    private sealed class VolumeSeam(ContainerEngine e) : IContainerVolumes
    {
        public List<SpecMount> ResolveMounts(string containerId, string[] specs, bool createMissing) => e.ResolveVolumeMounts(containerId, specs, createMissing);
        public void Release(string containerId) => e.ReleaseVolumes(containerId);
    }

    private sealed class ImageSeam(ContainerEngine e) : IContainerImages
    {
        public ContainerImage Resolve(string nameOrId) => e.ResolveImage(nameOrId);
        public IReadOnlyList<ContainerImage> List() => e.GetImages();
        public void SweepIfChanged() => e.SweepStoreIfChanged();
        public string ScratchDir => e.ScratchDir;
        public ContainerImage Register(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names, CancellationToken ct) =>
            e.RegisterImage(configJson, layers, names, null, null, ct);
    }
}
