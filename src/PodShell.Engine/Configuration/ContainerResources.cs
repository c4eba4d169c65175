using System.Text.Json.Serialization;

namespace PodShell.Engine.Configuration;

/// <summary>The limits a container was configured with. Null is "no limit" in the stored form; the public
/// <see cref="Container"/> shows long.MaxValue / +Infinity instead (so Where-Object comparisons hold).</summary>
public sealed class ContainerResources
{
    /// <summary>Podman's default pids limit (containers.conf pids_limit, containers/common DefaultPidsLimit).</summary>
    public const long DefaultPidsLimit = 2048;

    /// <summary>runc cannot start a container below about 6 MiB; docker and podman refuse smaller limits.</summary>
    public const long MinMemory = 6 * 1024 * 1024;

    /// <summary>Size of /dev/shm when -ShmSize is not given (podman's 64 MiB).</summary>
    public const long DefaultShmSize = 64L * 1024 * 1024;

    [JsonPropertyName("memoryMax")] public long? MemoryMax { get; set; }
    [JsonPropertyName("cpus")] public double? Cpus { get; set; }
    [JsonPropertyName("pidsMax")] public long? PidsMax { get; set; }
    [JsonPropertyName("shmSize")] public long ShmSize { get; set; } = DefaultShmSize;

    /// <summary>The one minimum check of a memory limit (New-Container, and the OCI spec builder behind it).</summary>
    public static void CheckMemory(long memory)
    {
        if (memory < MinMemory)
            throw new PodShellException(ErrorIds.InvalidMemory, FailureKind.InvalidArgument,
                $"-Memory must be at least 6MB (got {memory} bytes).", memory);
    }

    /// <summary>-Cpus: a positive, finite number of CPUs, at most the host's.</summary>
    public static void CheckCpus(double cpus, int hostCpus)
    {
        if (cpus <= 0 || double.IsNaN(cpus) || double.IsInfinity(cpus))
            throw new PodShellException(ErrorIds.InvalidCpus, FailureKind.InvalidArgument, $"-Cpus must be a positive number of CPUs such as 0.5 or 2 (got {cpus}).", cpus);
        if (cpus > hostCpus)
            throw new PodShellException(ErrorIds.InvalidCpus, FailureKind.InvalidArgument, $"-Cpus {cpus} is more than the {hostCpus} CPUs this host has.", cpus);
    }

    public static void CheckShmSize(long shm)
    {
        if (shm <= 0)
            throw new PodShellException(ErrorIds.InvalidShmSize, FailureKind.InvalidArgument, $"-ShmSize must be a positive size such as 64m (got {shm}).", shm);
    }

    /// <summary>-PidsLimit: null takes the default, 0 or below lifts the limit (podman --pids-limit -1).</summary>
    public static long? ResolvePidsLimit(long? requested) =>
        requested is > 0 ? requested : requested is null ? DefaultPidsLimit : null;

    public ContainerResources Clone() => (ContainerResources)MemberwiseClone();
}
