namespace PodShell.Engine.Tests.Cgroups;

/// <summary>A temporary directory playing cgroupfs (under Root/cgroup) and procfs (under Root/proc).</summary>
public sealed class CgroupFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("podshell-cgfix-").FullName;
    public string MountRoot => Path.Combine(Root, "cgroup");
    public string ProcRoot => Path.Combine(Root, "proc");

    public CgroupFixture()
    {
        Directory.CreateDirectory(MountRoot);
        Directory.CreateDirectory(Path.Combine(ProcRoot, "self"));
    }

    /// <summary>Creates a directory under the mount root and returns its full path.</summary>
    public string Dir(string relative)
    {
        var path = Path.Combine(MountRoot, relative.TrimStart('/'));
        Directory.CreateDirectory(path);
        return path;
    }

    public void Set(string directory, string file, string content) =>
        File.WriteAllText(Path.Combine(directory, file), content);

    public void MountInfo(params string[] lines) =>
        File.WriteAllText(Path.Combine(ProcRoot, "self", "mountinfo"), string.Join('\n', lines) + "\n");

    public void ProcessCgroup(int pid, params string[] lines)
    {
        var dir = Path.Combine(ProcRoot, pid.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cgroup"), string.Join('\n', lines) + "\n");
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
