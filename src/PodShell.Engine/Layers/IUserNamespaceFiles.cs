namespace PodShell.Engine.Layers;

/// <summary>A file whose owner is an id of the user namespace: the unprivileged store creates it as the user
/// (root inside) and hands it over afterwards. RestoreMode: setuid/setgid bits that chown will clear.</summary>
public readonly record struct DeferredOwner(string Path, int Uid, int Gid, int Mode, bool RestoreMode);

/// <summary>How a layer store gives its files owners, deletes them and finds its mounts: directly for root
/// (<see cref="DirectFiles"/>), through the user namespace of its containers for an ordinary user
/// (the user namespace of its containers): ownership the user cannot give, deletion of files it no longer owns, and the mount
/// table the overlay mounts are in.</summary>
public interface IUserNamespaceFiles
{
    /// <summary>True when this process cannot give a file away: owners are recorded while a layer is extracted and
    /// handed to <see cref="SetOwners"/> at the end, and directory modes are set last (a 0555 directory would refuse
    /// its own children to a writer that is not root).</summary>
    bool DefersOwnership { get; }
    /// <summary>Whether device nodes of a layer are created (only real root may; a container in a user namespace
    /// gets /dev from the runtime).</summary>
    bool CreatesDeviceNodes { get; }
    /// <summary>True for a store mounted with userxattr: overlay trusts user.overlay.* (so a layer may not carry
    /// them), whiteout conversion writes user.overlay.opaque, and only user.* attributes can be set.</summary>
    bool UserXattrsOnly { get; }
    void SetOwners(IReadOnlyList<DeferredOwner> entries);
    void RemoveTree(string path);
    /// <summary>The mount table the store's overlay mounts show up in (besides this process's own).</summary>
    string MountInfoPath { get; }
    /// <summary>Host owners back to the ids inside, for layers written as tars; null = as on disk.</summary>
    OwnerMap? InsideOwners { get; }
}
