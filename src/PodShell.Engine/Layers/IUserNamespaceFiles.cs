namespace PodShell.Engine.Layers;

/// <summary>A file whose owner is an id of the user namespace: the unprivileged store creates it as the user
/// (root inside) and hands it over afterwards. RestoreMode: setuid/setgid bits that chown will clear.</summary>
public readonly record struct DeferredOwner(string Path, int Uid, int Gid, int Mode, bool RestoreMode);

/// <summary>What a layer store owned by an ordinary user needs from the user namespace of its containers:
/// ownership the user cannot give, deletion of files it no longer owns, and the mount table the overlay
/// mounts are in.</summary>
public interface IUserNamespaceFiles
{
    void SetOwners(IReadOnlyList<DeferredOwner> entries);
    void RemoveTree(string path);
    string MountInfoPath { get; }
    /// <summary>Host owners back to the ids inside, for layers written as tars.</summary>
    OwnerMap InsideOwners { get; }
}
