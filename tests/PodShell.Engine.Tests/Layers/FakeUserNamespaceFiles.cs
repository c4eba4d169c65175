using PodShell.Engine.Layers;

namespace PodShell.Engine.Tests.Layers;

/// <summary>An IUserNamespaceFiles that records what a rootless store asks of the user namespace. RemoveTree
/// really deletes (as the real one's fallback would), so stores stay consistent; MountInfoPath can point at a
/// fixture table.</summary>
internal sealed class FakeUserNamespaceFiles : IUserNamespaceFiles
{
    // As the user namespace of an ordinary user's store.
    public bool DefersOwnership => true;
    public bool CreatesDeviceNodes => false;
    public bool UserXattrsOnly => true;
    public List<List<DeferredOwner>> SetOwnersCalls { get; } = new();
    public List<string> Removed { get; } = new();
    public string MountInfoPath { get; set; } = "/dev/null";
    public OwnerMap InsideOwners { get; set; } = OwnerMap.Identity;

    /// <summary>Runs inside SetOwners, to look at the tree at the moment the owners are handed over.</summary>
    public Action<IReadOnlyList<DeferredOwner>>? OnSetOwners { get; set; }

    public void SetOwners(IReadOnlyList<DeferredOwner> entries)
    {
        SetOwnersCalls.Add(entries.ToList());
        OnSetOwners?.Invoke(entries);
    }

    public void RemoveTree(string path)
    {
        Removed.Add(path);
        if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null) Directory.Delete(path, recursive: true);
        else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null) File.Delete(path);
    }
}
