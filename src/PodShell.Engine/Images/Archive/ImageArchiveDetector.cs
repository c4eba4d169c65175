using System.Formats.Tar;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Images.Archive;

/// <summary>Tells an image archive from a root filesystem by content, as podman load does: a directory
/// with oci-layout is an OCI layout; a tar with oci-layout at its root is an oci-archive, one with
/// manifest.json a docker-archive; anything else is a root filesystem.</summary>
public static class ImageArchiveDetector
{
    public static ImageArchiveFormat Detect(string path, CancellationToken ct = default)
    {
        if (Directory.Exists(path))
            return File.Exists(Path.Combine(path, "oci-layout")) ? ImageArchiveFormat.OciDirectory : ImageArchiveFormat.RootFilesystem;
        if (!File.Exists(path))
            throw new PodShellException(ErrorIds.ImportSourceNotFound, FailureKind.NotFound, $"No file or directory at '{path}'.", path);

        bool manifestJson = false;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            using var plain = LayerCompression.Decompress(file);
            using var reader = new TarReader(plain);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var name = ArchiveSource.Clean(entry.Name);
                if (name == "oci-layout") return ImageArchiveFormat.OciArchive;
                if (name == "manifest.json") manifestJson = true;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Neither an archive nor a root filesystem can be imported from a cut or corrupt tar; say so
            // here, since the members that tell the format apart may be the ones missing.
            if (!manifestJson)
                throw new PodShellException(ErrorIds.InvalidArchive, FailureKind.InvalidArgument,
                    $"'{path}' is not a whole tar file (truncated or corrupt: {e.Message}).", path, e);
        }
        return manifestJson ? ImageArchiveFormat.DockerArchive : ImageArchiveFormat.RootFilesystem;
    }
}
