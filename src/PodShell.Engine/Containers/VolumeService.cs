using System.Security.Cryptography;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Containers;

/// <summary>Named volumes and a container's -Volume mounts (podman volume, podman run -v; docs/design.md,
/// "Network and volume services"). It owns the volume rows and directories (<see cref="VolumeStore"/>,
/// &lt;graphroot&gt;/volumes) and which container uses which volume. It calls the stores of
/// <see cref="EngineContext"/>, and the containers service only through <see cref="ContainerCallbacks"/>
/// (Remove-ContainerVolume -Force removes the containers that use a volume).</summary>
internal sealed class VolumeService
{
    private readonly EngineContext _ctx;
    private readonly ContainerCallbacks _containers;
    private VolumeStore? _volumes;

    public VolumeService(EngineContext ctx, ContainerCallbacks containers)
    {
        _ctx = ctx;
        _containers = containers;
    }

    /// <summary>The volume rows and directories (made on first use: it creates its tables).</summary>
    public VolumeStore Volumes => _volumes ??= new VolumeStore(_ctx.Store, Path.Combine(_ctx.Options.GraphRoot, "volumes"));

    /// <summary>Create an empty named volume (podman volume create). With no name, a random 64-hex one,
    /// as podman gives.</summary>
    public ContainerVolume CreateVolume(string? name = null, IDictionary<string, string>? labels = null) =>
        Volumes.Create(name ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant(), labels);

    /// <summary>Every volume, by name. <paramref name="withSize"/> walks each volume's files.</summary>
    public IReadOnlyList<ContainerVolume> GetVolumes(bool withSize = false)
    {
        var list = Volumes.List();
        if (withSize) foreach (var v in list) v.Size = VolumeStore.MeasureSize(v.Mountpoint);
        return list;
    }

    /// <summary>One volume by exact name. Throws VolumeNotFound.</summary>
    public ContainerVolume GetVolume(string name, bool withSize = false)
    {
        var v = Volumes.Get(name) ?? throw VolumeNotFound(name);
        if (withSize) v.Size = VolumeStore.MeasureSize(v.Mountpoint);
        return v;
    }

    /// <summary>Remove a volume and its data (podman volume rm). A volume some container mounts is refused
    /// (VolumeInUse) unless <paramref name="force"/>: then those containers are removed first, running
    /// ones killed, as podman volume rm --force and Remove-ContainerImage -Force do. Returns the volume as
    /// it was.</summary>
    public ContainerVolume RemoveVolume(string name, bool force, CancellationToken ct = default)
    {
        var v = GetVolume(name);
        var users = Volumes.Users(name);
        if (users.Count > 0)
        {
            if (!force) throw VolumeStore.InUse(name, v.UsedBy);
            foreach (var id in users)
            {
                ct.ThrowIfCancellationRequested();
                try { _containers.Remove(id, true, ct); }
                catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNotFound) { }
            }
        }
        // Checked again under the store's write lock: a container may have started using it meanwhile.
        Volumes.Remove(name);
        return v;
    }

    /// <summary>Turn -Volume specs into OCI mounts and record which volumes the container uses. Every spec
    /// is checked (syntax, bind source present) before any volume is created, so a bad one leaves nothing
    /// behind. Binds and volumes both become "bind" mounts with "rbind" and podman's default
    /// propagation "rprivate", plus "ro" when asked.</summary>
    public List<SpecMount> ResolveVolumeMounts(string containerId, string[] specs, bool createMissing)
    {
        var parsed = specs.Select(VolumeMountSpec.Parse).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parsed)
        {
            if (!seen.Add(p.Destination))
                throw new PodShellException(ErrorIds.DuplicateMountDestination, FailureKind.InvalidArgument,
                    $"Two mounts have the destination '{p.Destination}'. Give each destination once.", p.Destination);
            // Followed to the end (stat, not lstat): a dangling symlink is no source, and File.Exists says yes to it.
            if (p.IsBind && Linux.FileStatus.TryStat(p.Source) is null)
                throw new PodShellException(ErrorIds.BindSourceNotFound, FailureKind.NotFound,
                    Linux.FileStatus.TryLStat(p.Source) is { IsSymlink: true }
                        ? $"The host path '{p.Source}' of the bind mount '{p.Spec}' is a symbolic link to '{new FileInfo(p.Source).LinkTarget}', which does not exist."
                        : $"The host path '{p.Source}' of the bind mount '{p.Spec}' does not exist. Create it first (podman refuses the same way).", p.Source);
        }
        var named = parsed.Where(p => !p.IsBind).Select(p => p.Source).ToList();
        if (named.Count > 0) Volumes.Use(containerId, named, createMissing);
        return parsed.Select(p => new SpecMount(p.Destination, "bind", p.IsBind ? p.Source : Volumes.DataDir(p.Source), p.MountOptions())).ToList();
    }

    /// <summary>Called when a container's artifacts are destroyed: it no longer uses its volumes. When the
    /// container never finished being created, the volumes its create made (and nobody else uses) go too.</summary>
    public void ReleaseVolumes(string containerId)
    {
        var unfinished = _ctx.Store.GetContainer(containerId)?.Container.State is ContainerState.Creating;
        Volumes.Release(containerId, dropCreated: unfinished);
    }

    private static PodShellException VolumeNotFound(string name) =>
        new(ErrorIds.VolumeNotFound, FailureKind.NotFound, $"No volume named '{name}' exists. List them with Get-ContainerVolume.", name);
}
