namespace PodShell.Engine.Images.Archive;

/// <summary>Which kind of image source a path is.</summary>
public enum ImageArchiveFormat
{
    /// <summary>A root filesystem (tar, compressed tar or directory) for a one-layer image, like podman import.</summary>
    RootFilesystem,
    /// <summary>An OCI image layout directory (oci-layout, index.json, blobs/).</summary>
    OciDirectory,
    /// <summary>A tar of an OCI image layout (podman save --format oci-archive).</summary>
    OciArchive,
    /// <summary>A docker save / podman save archive (manifest.json, config, layer tars).</summary>
    DockerArchive,
}

/// <summary>A layer as an archive lists it: the member holding it, and for OCI the digest the manifest
/// promises. A docker-archive layer has no digest of its own: its uncompressed content must hash to
/// the config's diff_id.</summary>
public sealed record ArchiveLayer(string Path, string? Digest, string MediaType);

/// <summary>One image found in an archive, its JSON read and checked, its layers not yet.</summary>
public sealed record ArchiveImage(byte[] Config, string? ConfigDigest, IReadOnlyList<ArchiveLayer> Layers,
    IReadOnlyList<string> Names, byte[]? Manifest)
{
    public string[] DiffIds { get; init; } = Array.Empty<string>();
}

/// <summary>Progress of an import or export, reported on the calling thread.</summary>
public sealed record ArchiveProgress(string Activity, string Status, int Current, int Total, long Bytes, long TotalBytes);
