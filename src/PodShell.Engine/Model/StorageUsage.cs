namespace PodShell;

/// <summary>Disk space used by one kind of object (podman system df), measured on the filesystem.</summary>
public sealed class StorageUsage
{
    /// <summary>Images, Containers or Volumes.</summary>
    public string Type { get; set; } = "";
    public int Total { get; set; }
    /// <summary>Images used by a container, running containers, volumes mounted by a container.</summary>
    public int Active { get; set; }
    /// <summary>Bytes on disk (shared image layers counted once).</summary>
    public long Size { get; set; }
    /// <summary>Bytes that removing the inactive ones would free.</summary>
    public long Reclaimable { get; set; }
}
