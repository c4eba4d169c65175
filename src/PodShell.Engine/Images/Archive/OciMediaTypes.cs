namespace PodShell.Engine.Images.Archive;

/// <summary>Media types of image-spec media-types.md and their Docker schema 2 equivalents.</summary>
public static class OciMediaTypes
{
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Config = "application/vnd.oci.image.config.v1+json";
    public const string Layer = "application/vnd.oci.image.layer.v1.tar";
    public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string LayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public static bool IsIndex(string mediaType) => mediaType is Index or DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is Manifest or DockerManifest;

    /// <summary>Layer types the engine can unpack (the compression itself is sniffed from the bytes).
    /// Non-distributable ("foreign") layers are not: their blob is not in the archive.</summary>
    public static bool IsLayer(string mediaType) =>
        mediaType is Layer or LayerGzip or LayerZstd or DockerLayer or DockerLayerGzip
            or "application/vnd.docker.image.rootfs.diff.tar.zstd";
}
