using PodShell.Engine.Containers;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>Named volumes and bind mounts (podman volume, podman run -v): forwards to <see cref="VolumeService"/>
/// (Containers/VolumeService.cs).</summary>
public sealed partial class ContainerEngine
{
    private VolumeService? _volumeService;

    internal VolumeService VolumeService => _volumeService ??= new VolumeService(Context, ContainerCallbacks);

    /// <summary>The volume rows and directories (&lt;graphroot&gt;/volumes).</summary>
    public VolumeStore Volumes => VolumeService.Volumes;

    public ContainerVolume CreateVolume(string? name = null, IDictionary<string, string>? labels = null) => VolumeService.CreateVolume(name, labels);

    public IReadOnlyList<ContainerVolume> GetVolumes(bool withSize = false) => VolumeService.GetVolumes(withSize);

    public ContainerVolume GetVolume(string name, bool withSize = false) => VolumeService.GetVolume(name, withSize);

    public ContainerVolume RemoveVolume(string name, bool force, CancellationToken ct = default) => VolumeService.RemoveVolume(name, force, ct);

    // What the container code calls (the lead points these callers at VolumeService).
    internal List<SpecMount> ResolveVolumeMounts(string containerId, string[] specs, bool createMissing) =>
        VolumeService.ResolveVolumeMounts(containerId, specs, createMissing);

    internal void ReleaseVolumes(string containerId) => VolumeService.ReleaseVolumes(containerId);
}
