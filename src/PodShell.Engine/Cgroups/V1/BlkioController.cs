namespace PodShell.Engine.Cgroups.V1;

/// <summary>Block I/O on v1. The figures stay raw in Files; <see cref="BlockIo"/> sums them.</summary>
internal sealed class BlkioController : ICgroupController
{
    public string Name => "blkio";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        // The throttle file counts every bio (whatever the I/O scheduler); io_service_bytes of CFQ/BFQ is
        // empty on blk-mq devices, so it is only the fallback (runc's and podman's order).
        if (CgroupFile.Read(directory, "blkio.throttle.io_service_bytes_recursive", into) is null)
            CgroupFile.Read(directory, "blkio.throttle.io_service_bytes", into);
    }
}
