namespace PodShell.Engine.Images.Registry;

/// <summary>The manifest media types the client asks for and understands (image-spec media-types.md,
/// Docker image manifest v2 schema 2). Schema 1 is not accepted: it has no config blob and no digests
/// that can be verified the same way.</summary>
public static class ManifestMediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    public static readonly string[] Accept = { OciManifest, OciIndex, DockerManifest, DockerManifestList };

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;
    public static bool IsManifest(string mediaType) => mediaType is OciManifest or DockerManifest;
}
