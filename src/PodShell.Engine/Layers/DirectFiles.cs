using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>The files of a store owned by root: owners and modes are set as each entry is extracted, device nodes
/// are created, trees are deleted in place, the mounts are in this process's table and overlay trusts trusted.*
/// attributes.</summary>
public sealed class DirectFiles : IUserNamespaceFiles
{
    public static DirectFiles Instance { get; } = new();

    private DirectFiles() { }

    public bool DefersOwnership => false;
    public bool CreatesDeviceNodes => true;
    public bool UserXattrsOnly => false;

    /// <summary>Only reached with entries when a caller defers on its own: chown, then the mode chown cleared.</summary>
    public void SetOwners(IReadOnlyList<DeferredOwner> entries)
    {
        foreach (var e in entries)
        {
            FileOwnership.LChown(e.Path, e.Uid, e.Gid);
            if (e.RestoreMode) FileOwnership.Chmod(e.Path, e.Mode);
        }
    }

    /// <summary>Never follows a symlink, and handles names that are not UTF-8 (which .NET's delete misses).</summary>
    public void RemoveTree(string path) => RawFiles.RemoveTree(path);

    public string MountInfoPath => "/proc/self/mountinfo";

    public OwnerMap? InsideOwners => null;
}
