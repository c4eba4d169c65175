using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Containers;

// What the container services need of the other areas (networks, volumes, images), each behind a small interface, so
// those areas can be rebuilt without touching the container services (docs/design.md, "Container services"). The
// facade wires them to its own methods for now (ContainerEngine.Seams.cs).

/// <summary>A container's network: options resolved at create, set up before its start, torn down after its end.</summary>
internal interface IContainerNetworking
{
    /// <summary>Resolves -Network, -Publish and the shared namespaces of New-Container onto the record.</summary>
    void ApplyOptions(CreateOptions o, Container c);
    /// <summary>Before conmon: namespace, addresses, ports, /etc files. Sets c.IPAddresses.</summary>
    void Setup(Container c, ContainerPaths paths);
    /// <summary>Idempotent: undoes whatever <see cref="Setup"/> did.</summary>
    void Teardown(string id);
    /// <summary>The network namespace for config.json ("host", "none", "ns:&lt;path&gt;").</summary>
    string SpecNetworkMode(Container c);
    /// <summary>The namespace file of another container (<paramref name="mode"/> is "container:&lt;id&gt;").</summary>
    string SharedNamespacePath(string mode, string type);
}

/// <summary>Named volumes and bind mounts of a container.</summary>
internal interface IContainerVolumes
{
    List<SpecMount> ResolveMounts(string containerId, string[] specs, bool createMissing);
    void Release(string containerId);
}

/// <summary>What the container services need of the image store.</summary>
internal interface IContainerImages
{
    ContainerImage Resolve(string nameOrId);
    IReadOnlyList<ContainerImage> List();
    /// <summary>Finishes what killed processes left in the layer and blob stores (cheap when nothing changed).</summary>
    void SweepIfChanged();
    /// <summary>Where temporary files next to the blob store go.</summary>
    string ScratchDir { get; }
    /// <summary>Registers an image whose config and new layer blobs are in the blob store (commit).</summary>
    ContainerImage Register(byte[] configJson, IReadOnlyList<LayerBlob> layers, IReadOnlyList<string> names, CancellationToken ct);
}
