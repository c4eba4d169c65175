using System.Security.Cryptography;
using PodShell.Engine.Containers;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>Named volumes and bind mounts (podman volume, podman run -v).</summary>
public sealed partial class ContainerEngine
{
    private VolumeStore? _volumes;

    /// <summary>The volume rows and directories (&lt;graphroot&gt;/volumes).</summary>
    public VolumeStore Volumes => _volumes ??= new VolumeStore(Store, Path.Combine(Options.GraphRoot, "volumes"));

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
                try { RemoveContainer(id, force: true, ct); }
                catch (PodShellException e) when (e.ErrorId == "ContainerNotFound") { }
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
    internal List<SpecMount> ResolveVolumeMounts(string containerId, string[] specs, bool createMissing)
    {
        var parsed = specs.Select(VolumeMountSpec.Parse).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parsed)
        {
            if (!seen.Add(p.Destination))
                throw new PodShellException("DuplicateMountDestination", FailureKind.InvalidArgument,
                    $"Two mounts have the destination '{p.Destination}'. Give each destination once.", p.Destination);
            // Followed to the end (stat, not lstat): a dangling symlink is no source, and File.Exists says yes to it.
            if (p.IsBind && Linux.FileStatus.TryStat(p.Source) is null)
                throw new PodShellException("BindSourceNotFound", FailureKind.NotFound,
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
    internal void ReleaseVolumes(string containerId)
    {
        var unfinished = Store.GetContainer(containerId)?.Container.State is ContainerState.Creating;
        Volumes.Release(containerId, dropCreated: unfinished);
    }

    private static PodShellException VolumeNotFound(string name) =>
        new("VolumeNotFound", FailureKind.NotFound, $"No volume named '{name}' exists. List them with Get-ContainerVolume.", name);
}

/// <summary>One -Volume argument, podman's syntax: SOURCE:DESTINATION[:OPTIONS]. A SOURCE starting with '/'
/// is a host path (bind mount), anything else a volume name. OPTIONS are comma separated.</summary>
public sealed record VolumeMountSpec(string Spec, string Source, string Destination, bool IsBind, bool ReadOnly,
    string Propagation, bool Recursive, string[] Flags)
{
    private static readonly HashSet<string> Propagations = new(StringComparer.Ordinal)
        { "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable" };
    private static readonly HashSet<string> MountFlags = new(StringComparer.Ordinal)
        { "nosuid", "suid", "nodev", "dev", "noexec", "exec" };

    public static VolumeMountSpec Parse(string spec)
    {
        var parts = (spec ?? "").Split(':');
        if (parts.Length == 1)
            throw Invalid(spec!, $"'{spec}' names no destination: use HOST-PATH:CONTAINER-PATH or VOLUME:CONTAINER-PATH (anonymous volumes are not supported).");
        if (parts.Length > 3)
            throw Invalid(spec!, $"'{spec}' has too many ':' parts: use SOURCE:DESTINATION[:OPTIONS].");
        var source = parts[0];
        var dest = parts[1];
        if (source.Length == 0) throw Invalid(spec!, $"'{spec}' has an empty source.");
        if (!dest.StartsWith('/'))
            throw Invalid(spec!, $"The destination '{dest}' in '{spec}' must be an absolute path inside the container.");
        dest = CleanPath(dest);
        if (dest == "/") throw Invalid(spec!, $"'{spec}' would cover the container's root directory.");
        MountDestination.Check(dest, isBind: true, spec!);
        bool isBind = source.StartsWith('/');
        if (isBind) source = CleanPath(source);
        else if (source.StartsWith('.') || source.StartsWith('~'))
            throw Invalid(spec!, $"The host path '{source}' in '{spec}' must be absolute.");
        else if (!VolumeStore.IsValidName(source))
            throw new PodShellException("InvalidVolumeName", FailureKind.InvalidArgument,
                $"'{source}' is neither an absolute host path nor a valid volume name (letters, digits, '_', '.' and '-', starting with a letter or digit).", source);

        bool? ro = null;
        string? propagation = null;
        bool recursive = true;
        var flags = new List<string>();
        if (parts.Length == 3)
        {
            foreach (var o in parts[2].Split(','))
            {
                switch (o)
                {
                    case "ro" or "rw":
                        if (ro != null) throw Invalid(spec!, $"'{spec}' sets ro or rw more than once.");
                        ro = o == "ro";
                        break;
                    case "bind" or "rbind":
                        recursive = o == "rbind";
                        break;
                    // SELinux relabelling and copy-up: accepted for podman compatibility; this host
                    // keeps no SELinux labels and volumes start empty.
                    case "z" or "Z" or "copy" or "nocopy":
                        break;
                    case var p when Propagations.Contains(p):
                        if (propagation != null) throw Invalid(spec!, $"'{spec}' sets the mount propagation more than once.");
                        propagation = p;
                        break;
                    case var f when MountFlags.Contains(f):
                        flags.Add(f);
                        break;
                    default:
                        throw new PodShellException("InvalidVolumeOption", FailureKind.InvalidArgument,
                            $"Unknown volume option '{o}' in '{spec}'. Use ro, rw, z, Z, [r]bind, [r]shared, [r]slave, [r]private, nosuid, nodev or noexec.", o);
                }
            }
        }
        return new VolumeMountSpec(spec!, source, dest, isBind, ro ?? false, propagation ?? "rprivate", recursive, flags.ToArray());
    }

    /// <summary>The OCI mount options, in podman's order.</summary>
    public string[] MountOptions()
    {
        var o = new List<string> { Recursive ? "rbind" : "bind", Propagation };
        if (ReadOnly) o.Add("ro");
        o.AddRange(Flags);
        return o.ToArray();
    }

    // Go's filepath.Clean, which podman applies to both paths.
    private static string CleanPath(string path) => Runtime.Spec.MountDestination.Clean(path);

    private static PodShellException Invalid(string spec, string message) =>
        new("InvalidVolumeSpec", FailureKind.InvalidArgument, message, spec);
}
