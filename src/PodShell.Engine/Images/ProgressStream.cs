namespace PodShell.Engine.Images;

/// <summary>A read-only stream wrapper that reports how many bytes have been read, for Write-Progress.</summary>
internal sealed class ProgressStream : IO.ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly Action<long>? _report;
    private long _read;

    public ProgressStream(Stream inner, Action<long>? report) { _inner = inner; _report = report; }

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        _read += n;
        _report?.Invoke(_read);
        return n;
    }

    public override long Length => _inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    protected override void Dispose(bool disposing) { if (disposing) _inner.Dispose(); base.Dispose(disposing); }
}
