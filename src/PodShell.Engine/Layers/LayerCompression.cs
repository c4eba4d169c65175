using System.IO.Compression;

namespace PodShell.Engine.Layers;

/// <summary>How a layer (or an archive) is compressed, told from its magic bytes, never from a name or a media
/// type: registries and `docker save | gzip` mislabel often enough that containers/image sniffs too
/// (pkg/compression DetectCompression).</summary>
public enum LayerCompressionKind { None, Gzip, Zstd, Xz, Bzip2 }

public static class LayerCompression
{
    /// <summary>Reads the first bytes of <paramref name="input"/> and returns the kind and a stream that
    /// replays them, so the caller continues from the start.</summary>
    public static (LayerCompressionKind Kind, Stream Replay) Sniff(Stream input)
    {
        var head = new byte[6];
        int n = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var kind = n switch
        {
            >= 2 when head[0] == 0x1f && head[1] == 0x8b => LayerCompressionKind.Gzip,
            >= 4 when head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd => LayerCompressionKind.Zstd,
            >= 6 when head[0] == 0xfd && head[1] == (byte)'7' && head[2] == (byte)'z' && head[3] == (byte)'X' && head[4] == (byte)'Z' && head[5] == 0 => LayerCompressionKind.Xz,
            >= 3 when head[0] == (byte)'B' && head[1] == (byte)'Z' && head[2] == (byte)'h' => LayerCompressionKind.Bzip2,
            _ => LayerCompressionKind.None,
        };
        return (kind, new PrefixedStream(head[..n], input));
    }

    /// <summary>The uncompressed content of a plain, gzip or zstd stream. xz and bzip2 are refused
    /// (UnsupportedCompression): OCI only defines gzip and zstd layers.</summary>
    public static Stream Decompress(Stream input)
    {
        var (kind, replay) = Sniff(input);
        return kind switch
        {
            LayerCompressionKind.None => replay,
            LayerCompressionKind.Gzip => new GZipStream(replay, CompressionMode.Decompress),
            LayerCompressionKind.Zstd => new TruncationCheckingStream(new ZstdSharp.DecompressionStream(replay), "zstd"),
            _ => throw new PodShellException(ErrorIds.UnsupportedCompression, FailureKind.NotSupported,
                $"Layer compression '{kind.ToString().ToLowerInvariant()}' is not supported (gzip, zstd and uncompressed tars are).", kind.ToString().ToLowerInvariant()),
        };
    }
}

/// <summary>Turns decoder failures (corrupt or truncated frames) into one clear error instead of a
/// library-specific exception type.</summary>
internal sealed class TruncationCheckingStream : IO.ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly string _format;

    public TruncationCheckingStream(Stream inner, string format) { _inner = inner; _format = format; }

    public override int Read(Span<byte> buffer)
    {
        try { return _inner.Read(buffer); }
        catch (Exception e) when (e is not OperationCanceledException and not PodShellException and not IOException)
        {
            throw new InvalidDataException($"The {_format} stream is corrupt or truncated: {e.Message}", e);
        }
    }

    protected override void Dispose(bool disposing) { if (disposing) _inner.Dispose(); base.Dispose(disposing); }
}
