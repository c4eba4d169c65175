using System.Security.Cryptography;

namespace PodShell.Engine.Layers;

/// <summary>A read-only pass-through that hashes every byte read: the DiffId is the sha256 of the uncompressed
/// tar exactly as the producer wrote it, so it is computed while extracting rather than from the files.</summary>
internal sealed class DigestingStream : IO.ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;

    public DigestingStream(Stream inner) => _inner = inner;

    public long BytesRead => _length;

    /// <summary>"sha256:&lt;hex&gt;" of everything read so far.</summary>
    public string Digest() => "sha256:" + Convert.ToHexString(_hash.GetCurrentHash()).ToLowerInvariant();

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        _hash.AppendData(buffer[..n]);
        _length += n;
        return n;
    }

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Replays bytes already read for magic sniffing, then continues with the rest of the stream.</summary>
internal sealed class PrefixedStream : Stream
{
    private readonly byte[] _prefix;
    private int _prefixPos;
    private readonly Stream _inner;

    public PrefixedStream(byte[] prefix, Stream inner) { _prefix = prefix; _inner = inner; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefixPos < _prefix.Length)
        {
            int n = Math.Min(buffer.Length, _prefix.Length - _prefixPos);
            _prefix.AsSpan(_prefixPos, n).CopyTo(buffer);
            _prefixPos += n;
            return n;
        }
        return _inner.Read(buffer);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
