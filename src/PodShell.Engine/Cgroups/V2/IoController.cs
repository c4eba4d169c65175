namespace PodShell.Engine.Cgroups.V2;

/// <summary>io.stat: one line per device, "8:0 rbytes=.. wbytes=.. rios=..", and io.max. Kept raw in Files;
/// <see cref="BlockIo"/> sums it.</summary>
internal sealed class IoController : ICgroupController
{
    public string Name => "io";

    public void Read(string directory, PodShell.ContainerCgroup into)
    {
        CgroupFile.Read(directory, "io.stat", into);
        // io.max: "MAJ:MIN rbps=.. wbps=.. riops=.. wiops=.." per limited device; present only with io in the
        // parent's subtree_control, and empty while no device is limited.
        CgroupFile.Read(directory, "io.max", into);
    }
}
