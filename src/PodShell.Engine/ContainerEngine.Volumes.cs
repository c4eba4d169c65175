using PodShell.Engine.Containers;

namespace PodShell.Engine;

/// <summary>Named volumes and bind mounts (podman volume, podman run -v): forwards to <see cref="VolumeService"/>
/// (Containers/VolumeService.cs); the container services reach it through their seam (ContainerEngine.Seams.cs).</summary>
public sealed partial class ContainerEngine
{
    /// <summary>The volume rows and directories (&lt;graphroot&gt;/volumes).</summary>
    public VolumeStore Volumes => VolumeService.Volumes;

    public ContainerVolume CreateVolume(string? name = null, IDictionary<string, string>? labels = null) => VolumeService.CreateVolume(name, labels);

    public IReadOnlyList<ContainerVolume> GetVolumes(bool withSize = false) => VolumeService.GetVolumes(withSize);

    public ContainerVolume GetVolume(string name, bool withSize = false) => VolumeService.GetVolume(name, withSize);

    public ContainerVolume RemoveVolume(string name, bool force, CancellationToken ct = default) => VolumeService.RemoveVolume(name, force, ct);
}
