namespace PodShell.Engine.Images.Registry;

/// <summary>How to pull: which platform from an index, which credentials, whether plain HTTP (and
/// unverified TLS) is allowed for a non-loopback registry, and the search list for unqualified names.</summary>
public sealed class PullOptions
{
    /// <summary>"os/arch[/variant]"; null means this host's platform (linux/amd64 here).</summary>
    public string? Platform { get; set; }
    public RegistryCredentials? Credentials { get; set; }
    public bool AllowInsecure { get; set; }
    /// <summary>Registries for unqualified names; null means PODSHELL_REGISTRIES_SEARCH, else docker.io.</summary>
    public IReadOnlyList<string>? SearchRegistries { get; set; }
}

public sealed class PushOptions
{
    public RegistryCredentials? Credentials { get; set; }
    public bool AllowInsecure { get; set; }
}

/// <summary>What a transfer is doing now. Reported synchronously on the thread that called PullImage or
/// PushImage, so a cmdlet may call WriteProgress from its IProgress implementation.</summary>
public enum TransferPhase
{
    /// <summary>Resolving the reference and fetching the manifest (Index/Count are 0).</summary>
    Manifest,
    /// <summary>Bytes of a blob moving; Bytes of Total so far.</summary>
    Transferring,
    /// <summary>A blob was not transferred: the layer exists locally (pull) or the registry has it (push).</summary>
    Skipped,
    /// <summary>A blob is complete and verified.</summary>
    Done,
    /// <summary>Layers are being unpacked and the image recorded.</summary>
    Registering,
}

/// <summary>One progress report. Index counts blobs from 0 among Count (config first, then layers).</summary>
public sealed record TransferProgress(TransferPhase Phase, int Index, int Count, string Digest, long Bytes, long Total, string Description);

/// <summary>What a push did: the reference written, the manifest digest, and what was uploaded.</summary>
public sealed record PushResult(string Destination, string ManifestDigest, int BlobsUploaded, int BlobsSkipped, bool ManifestCreated)
{
    public override string ToString() => $"{Destination}@{ManifestDigest}";
}
