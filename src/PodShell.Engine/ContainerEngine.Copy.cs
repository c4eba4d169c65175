namespace PodShell.Engine;

/// <summary>The files of a container and images made of it (Containers/ContainerFiles.cs, Containers/CommitService.cs).</summary>
public sealed partial class ContainerEngine
{
    /// <summary>Writes the container's root filesystem as one tar (podman export).</summary>
    public void ExportContainer(string nameOrId, Stream output, CancellationToken ct = default) => Services.Files.Export(nameOrId, output, ct);

    /// <summary>Copies from the container to the host (podman cp); the source path is resolved inside the container.</summary>
    public string CopyFromContainer(string nameOrId, string pathInside, string hostDestination, CancellationToken ct = default) =>
        Services.Files.CopyFrom(nameOrId, pathInside, hostDestination, ct);

    /// <summary>Copies a host path into the container; every destination path is resolved inside the container's root.</summary>
    public string CopyToContainer(string hostSource, string nameOrId, string pathInside, CancellationToken ct = default) =>
        Services.Files.CopyTo(hostSource, nameOrId, pathInside, ct);

    /// <summary>What the container added, changed and deleted (podman diff).</summary>
    public IReadOnlyList<ContainerChange> GetChanges(string nameOrId) => Services.Files.Changes(nameOrId);

    /// <summary>Makes an image of a container (podman commit).</summary>
    public ContainerImage CommitContainer(string nameOrId, string name, string? message = null,
        IReadOnlyList<string>? changes = null, string? author = null, CancellationToken ct = default) =>
        Services.Commit.Commit(nameOrId, name, message, changes, author, ct);
}
