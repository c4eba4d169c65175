using PodShell.Engine.Containers;
using PodShell.Engine.Network;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Configuration;

public sealed partial class ContainerConfig
{
    /// <summary>New-Container's options parsed and checked, before anything is looked up or made: every value the
    /// options alone decide, typed, or the ErrorId New-Container has always given for it (InvalidCpus, InvalidMemory,
    /// InvalidShmSize, InvalidLogSizeMax, InvalidContainerName, InvalidHostname, InvalidPublish,
    /// InvalidVolumeSpec, InvalidVolumeName, InvalidVolumeOption, MountDestinationNotAllowed, DuplicateMountDestination,
    /// InvalidUlimit, InvalidNamespaceMode, InvalidNetworkMode, InvalidSignal, InvalidCapability, InvalidDevice,
    /// InvalidTmpfs...). What the image, the host and the other containers decide (the command, the environment,
    /// container:&lt;name&gt; resolved to an id, the default network, the host's limits, the bind sources on disk,
    /// the capability set) the engine adds afterwards; a namespace mode here still names the container as given.
    /// Options left out stay at the defaults (empty strings where the image gives the value).</summary>
    public static ContainerConfig FromOptions(CreateOptions o, int hostCpus)
    {
        ArgumentNullException.ThrowIfNull(o);
        var resources = new ContainerResources();
        if (o.Cpus is { } cpus) { ContainerResources.CheckCpus(cpus, hostCpus); resources.Cpus = cpus; }
        if (o.Memory is { } mem) { ContainerResources.CheckMemory(mem); resources.MemoryMax = mem; }
        resources.PidsMax = ContainerResources.ResolvePidsLimit(o.PidsLimit);
        if (o.ShmSize is { } shm) { ContainerResources.CheckShmSize(shm); resources.ShmSize = shm; }

        if (o.Name != null && !NameGenerator.IsValid(o.Name))
            throw new PodShellException(ErrorIds.InvalidContainerName, FailureKind.InvalidArgument,
                $"'{Shorten(o.Name)}' is not a valid container name: use letters, digits, '_', '.' and '-', starting with a letter or digit, at most {NameGenerator.MaxLength} characters.", o.Name);
        if (o.Hostname != null) HostnameRule.Check(o.Hostname);
        var logSizeMax = K8sFileLog.ResolveSizeMax(o.LogSizeMax);
        if (o.StopSignal != null) Signals.Parse(o.StopSignal);

        var mounts = (o.Volumes ?? []).Select(VolumeMountSpec.Parse).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in mounts)
            if (!seen.Add(m.Destination))
                throw new PodShellException(ErrorIds.DuplicateMountDestination, FailureKind.InvalidArgument,
                    $"Two mounts have the destination '{m.Destination}'. Give each destination once.", m.Destination);
        var tmpfs = (o.Tmpfs ?? []).ToArray();
        foreach (var t in tmpfs) TmpfsRequest.Parse(t);
        var network = NetworkMode.Parse(o.Network);

        return new ContainerConfig
        {
            Name = o.Name ?? "",
            Hostname = o.Hostname ?? "",
            Command = o.Command ?? Array.Empty<string>(),
            Entrypoint = o.Entrypoint ?? Array.Empty<string>(),
            WorkingDirectory = o.WorkingDirectory ?? "",
            User = o.User ?? "",
            StopSignal = o.StopSignal ?? "",
            Labels = o.Labels is null ? new() : new Dictionary<string, string>(o.Labels),
            LogSizeMax = logSizeMax == long.MaxValue ? null : logSizeMax,
            AutoRemove = o.AutoRemove,
            Init = o.Init,
            Resources = resources,
            Privileged = o.Privileged,
            ReadOnly = o.ReadOnly,
            CapAdd = (o.CapAdd ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray(),
            CapDrop = (o.CapDrop ?? []).Select(CapabilitySet.Normalize).Distinct().ToArray(),
            SecurityOpt = (o.SecurityOpt ?? []).ToArray(),
            Ulimits = (o.Ulimits ?? []).Select(Ulimit.Parse).ToArray(),
            Devices = (o.Devices ?? []).Select(DeviceRequest.Parse).Select(d => d.ToString()).ToArray(),
            Tmpfs = tmpfs,
            Mounts = mounts,
            Network = network.ToString(),
            Ports = (o.Publish ?? []).Select(PortMapping.Parse).ToArray(),
            PidMode = NamespaceMode.Parse(o.Pid),
            IpcMode = NamespaceMode.Parse(o.Ipc),
            UtsMode = NamespaceMode.Parse(o.Uts),
        };
    }

    // A 5000-character name in a message helps nobody; the target keeps it whole.
    private static string Shorten(string s) => s.Length <= 80 ? s : s[..60] + $"... ({s.Length} characters)";
}
