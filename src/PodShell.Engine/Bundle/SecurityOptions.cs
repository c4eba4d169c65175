using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Bundle;

/// <summary>The security and process options of New-Container (capabilities, seccomp, ulimits, devices, tmpfs, shm,
/// environment files), resolved onto the record at create and turned into spec parts when the bundle is written.</summary>
internal static class SecurityOptions
{
    /// <summary>Host /dev entries a privileged container does not get from the host: runc makes its own
    /// console, ptmx and the pseudo-filesystems mounted there (libcontainer devices.HostDevices skips them too).</summary>
    private static readonly HashSet<string> PrivilegedDeviceSkips = new(StringComparer.Ordinal)
    {
        "pts", "shm", "fd", "mqueue", "console", "ptmx", ".lxc", ".lxd-mounts", ".udev",
    };

    /// <summary>Resolves the security and process options of New-Container onto the record, before anything
    /// is created: every refusal (a bad capability, a ulimit above the host's hard limit, a missing device or
    /// profile) happens while there is nothing to undo.</summary>
    public static void Apply(CreateOptions o, Container c, ContainerImage image)
    {
        if (o.EnvironmentFiles is { Length: > 0 } files)
        {
            var merged = EnvironmentFile.Merge(files, o.Environment, Environment.GetEnvironmentVariable);
            c.Environment = Containers.ContainerCreation.MergeEnvironment(image.Config.Env, merged);
        }

        var host = HostFacts.Probe();
        var ulimits = (o.Ulimits ?? []).Select(Ulimit.Parse).ToList();
        foreach (var u in ulimits) u.EnsureWithinHost(host);
        c.Ulimits = ulimits.Select(u => u.ToString()).ToArray();

        c.Privileged = o.Privileged;
        c.ReadOnly = o.ReadOnly;
        c.CapAdd = (o.CapAdd ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray();
        c.CapDrop = (o.CapDrop ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray();
        c.Capabilities = CapabilitySet.Resolve(c.CapAdd, c.CapDrop, c.Privileged, host.BoundingCapabilities);

        c.Seccomp = c.Privileged ? "unconfined" : SeccompProfile.NeedsCompatAbis(image.Architecture, host.Architecture) ? "compat" : "default";
        foreach (var opt in o.SecurityOpt ?? [])
        {
            var (key, value) = opt.IndexOf('=') is var eq and > 0 ? (opt[..eq], opt[(eq + 1)..]) : (opt, "");
            switch (key)
            {
                case "no-new-privileges" when value is "" or "true" or "false":
                    break;
                case "seccomp" when value == "unconfined":
                    c.Seccomp = "unconfined";
                    break;
                // PodShell's default filter lists the native ABI only (see SeccompProfile.Default);
                // this asks for podman's exact default, i386 and x32 syscalls included.
                case "seccomp" when value == "compat":
                    c.Seccomp = "compat";
                    break;
                case "seccomp" when value.StartsWith('/'):
                    c.Seccomp = value;
                    SeccompProfile.Parse(ReadSeccompProfile(value), c.Capabilities, host.Architecture);
                    break;
                // No SELinux or AppArmor support: these ask for what a container here already is.
                case "label" when value == "disable":
                case "apparmor" when value == "unconfined":
                    break;
                default:
                    throw new PodShellException(ErrorIds.InvalidSecurityOpt, FailureKind.InvalidArgument,
                        $"-SecurityOpt '{opt}' is not supported. Use no-new-privileges, seccomp=unconfined, seccomp=compat or seccomp=<absolute path of a profile.json>.", opt);
            }
        }
        c.SecurityOpt = (o.SecurityOpt ?? []).ToArray();

        if (o.ShmSize is { } shm)
        {
            if (shm <= 0)
                throw new PodShellException(ErrorIds.InvalidShmSize, FailureKind.InvalidArgument, $"-ShmSize must be a positive size such as 64m (got {shm}).", shm);
            c.ShmSize = shm;
        }

        var devices = (o.Devices ?? []).Select(DeviceRequest.Parse).ToList();
        foreach (var d in devices) HostDevice(d);
        c.Devices = devices.Select(d => d.ToString()).ToArray();

        c.Tmpfs = (o.Tmpfs ?? []).ToArray();
        foreach (var t in c.Tmpfs) TmpfsRequest.Parse(t);
    }

    internal static string ReadSeccompProfile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.SeccompProfileNotFound, FailureKind.NotFound,
                $"The seccomp profile '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    /// <summary>The host node behind a -Device, symlinks followed (/dev/disk/by-id/... are links).</summary>
    internal static SpecDevice HostDevice(DeviceRequest d)
    {
        var real = FileStatus.RealPath(d.HostPath);
        var st = real is null ? null : FileStatus.TryLStat(real);
        if (st is null)
            throw new PodShellException(ErrorIds.DeviceNotFound, FailureKind.NotFound, $"The device '{d.HostPath}' does not exist on this host.", d.HostPath);
        if (!st.Value.IsCharDevice && !st.Value.IsBlockDevice)
            throw new PodShellException(ErrorIds.InvalidDevice, FailureKind.InvalidArgument, $"'{d.HostPath}' is not a character or block device.", d.HostPath);
        var s = st.Value;
        return new SpecDevice(d.ContainerPath, s.IsCharDevice ? 'c' : 'b', s.RdevMajor, s.RdevMinor, (uint)s.Permissions, (uint)s.Uid, (uint)s.Gid, d.Access);
    }

    /// <summary>podman --privileged gives the container the host's device nodes.</summary>
    internal static IEnumerable<SpecDevice> PrivilegedDevices(string dir = "/dev")
    {
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var path in entries)
        {
            if (PrivilegedDeviceSkips.Contains(Path.GetFileName(path))) continue;
            if (FileStatus.TryLStat(path) is not { } s) continue;
            if (s.IsDirectory)
            {
                foreach (var d in PrivilegedDevices(path)) yield return d;
            }
            else if (s.IsCharDevice || s.IsBlockDevice)
            {
                yield return new SpecDevice(path, s.IsCharDevice ? 'c' : 'b', s.RdevMajor, s.RdevMinor, (uint)s.Permissions, (uint)s.Uid, (uint)s.Gid, "rwm");
            }
        }
    }
}
