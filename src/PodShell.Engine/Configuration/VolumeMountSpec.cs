using System.Text.Json.Serialization;
using PodShell.Engine.Containers;
using PodShell.Engine.Runtime.Spec;

// Kept in PodShell.Engine (where it was declared beside the volume code) so that callers compile unchanged.
namespace PodShell.Engine;

/// <summary>One -Volume argument, podman's syntax: SOURCE:DESTINATION[:OPTIONS]. A SOURCE starting with '/'
/// is a host path (bind mount), anything else a volume name. OPTIONS are comma separated. Stored as it is in the
/// container's configuration (the JSON names are part of the store's format).</summary>
public sealed record VolumeMountSpec(
    [property: JsonPropertyName("spec")] string Spec,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("isBind")] bool IsBind,
    [property: JsonPropertyName("readOnly")] bool ReadOnly,
    [property: JsonPropertyName("propagation")] string Propagation,
    [property: JsonPropertyName("recursive")] bool Recursive,
    [property: JsonPropertyName("flags")] string[] Flags)
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
            throw new PodShellException(ErrorIds.InvalidVolumeName, FailureKind.InvalidArgument,
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
                        throw new PodShellException(ErrorIds.InvalidVolumeOption, FailureKind.InvalidArgument,
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
        new(ErrorIds.InvalidVolumeSpec, FailureKind.InvalidArgument, message, spec);
}
