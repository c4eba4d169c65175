namespace PodShell.Engine.Cgroups.V2;

/// <summary>io.stat: one line per device, "8:0 rbytes=.. wbytes=.. rios=..". Kept raw in Files;
/// <see cref="BlockIo"/> sums it.</summary>
internal sealed class IoController : ICgroupController
{
    public string Name => "io";

    public void Read(string directory, PodShell.ContainerCgroup into) =>
        CgroupFile.Read(directory, "io.stat", into);
}
