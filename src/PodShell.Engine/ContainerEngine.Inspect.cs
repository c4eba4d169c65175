using PodShell.Engine.Containers;

namespace PodShell.Engine;

/// <summary>Namespaces, cgroup, layers, statistics, processes, live limits (Containers/InspectService.cs,
/// Containers/StatsService.cs).</summary>
public sealed partial class ContainerEngine
{
    /// <summary>The namespaces of the container's init process, read from /proc/&lt;pid&gt;/ns.</summary>
    public IReadOnlyList<ContainerNamespace> GetNamespaces(string nameOrId) => Services.Inspect.Namespaces(nameOrId);

    /// <summary>The namespaces of any process on the host; ContainerId/ContainerName say when it is a container's init.</summary>
    public IReadOnlyList<ContainerNamespace> GetProcessNamespaces(int pid) => Services.Inspect.ProcessNamespaces(pid);

    /// <summary>The container's cgroup, every figure read from cgroupfs.</summary>
    public ContainerCgroup GetCgroup(string nameOrId) => Services.Inspect.Cgroup(nameOrId);

    /// <summary>The container's writable layer and the image layers below it, top first.</summary>
    public IReadOnlyList<OverlayLayer> GetContainerLayers(string nameOrId) => Services.Inspect.ContainerLayers(nameOrId);

    /// <summary>An image's layers, base first.</summary>
    public IReadOnlyList<OverlayLayer> GetImageLayers(ContainerImage image) => Services.Inspect.ImageLayerList(image);

    /// <summary>One raw sample of a running container (CpuPercent not yet computed).</summary>
    public ContainerStats SampleStats(string nameOrId) => Services.Stats.Sample(nameOrId);

    /// <summary>CPU percent between two samples of the same container: CPU nanoseconds over wall nanoseconds.</summary>
    public static double CpuPercent(ContainerStats earlier, ContainerStats later) => StatsService.CpuPercent(earlier, later);

    /// <summary>Samples every <paramref name="interval"/>: one round unless <paramref name="stream"/>, then until cancelled.</summary>
    public IEnumerable<ContainerStats> GetStats(IReadOnlyList<string> ids, bool stream, TimeSpan interval,
        Action<PodShellException>? onError = null, CancellationToken ct = default) =>
        Services.Stats.Watch(ids, stream, interval, onError, ct);

    /// <summary>The processes in a running container, read from /proc.</summary>
    public IReadOnlyList<ContainerProcess> GetProcesses(string nameOrId) => Services.Stats.ListProcesses(nameOrId);

    /// <summary>Changes the limits of a running container (podman update); returns the cgroup as read back.</summary>
    public ContainerCgroup SetResources(string nameOrId, long? memoryMax, double? cpus, long? pidsMax) =>
        Services.Stats.SetResources(nameOrId, memoryMax, cpus, pidsMax);

    /// <summary>The bytes under a directory, walked by descriptor (for Get-ContainerStorage too).</summary>
}
