using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace PodShell.Engine.Tests.Layers;

/// <summary>A temporary directory removed (recursively, without following symlinks) on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string tag = "layers")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"podshell-test-{tag}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Builds layer tars in memory.</summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _stream = new();
    private readonly TarWriter _writer;
    public static readonly DateTimeOffset DefaultTime = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public TarBuilder() => _writer = new TarWriter(_stream, TarEntryFormat.Pax, leaveOpen: true);

    public TarBuilder Dir(string name, int mode = 0x1ED, int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
        => Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? DefaultTime });

    public TarBuilder File(string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0, DateTimeOffset? mtime = null,
        IEnumerable<KeyValuePair<string, string>>? pax = null)
    {
        var entry = pax is null ? new PaxTarEntry(TarEntryType.RegularFile, name) : new PaxTarEntry(TarEntryType.RegularFile, name, pax);
        entry.Mode = (UnixFileMode)mode;
        entry.Uid = uid;
        entry.Gid = gid;
        entry.ModificationTime = mtime ?? DefaultTime;
        entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return Add(entry);
    }

    public TarBuilder Symlink(string name, string target)
        => Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF, ModificationTime = DefaultTime });

    public TarBuilder HardLink(string name, string target)
        => Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1A4, ModificationTime = DefaultTime });

    public TarBuilder Device(TarEntryType type, string name, int major, int minor, int mode = 0x1B6)
    {
        var entry = new PaxTarEntry(type, name) { Mode = (UnixFileMode)mode, ModificationTime = DefaultTime };
        if (type != TarEntryType.Fifo)
        {
            entry.DeviceMajor = major;
            entry.DeviceMinor = minor;
        }
        return Add(entry);
    }

    public TarBuilder Whiteout(string name) => File(name, "", mode: 0);

    public TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    /// <summary>The tar bytes, optionally followed by extra zero padding as tar(1) adds to fill its record.</summary>
    public byte[] Build(int extraPadding = 0)
    {
        _writer.Dispose();
        return _stream.ToArray().Concat(new byte[extraPadding]).ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    public static string Sha256Hex(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
}

/// <summary>A stream that cancels a token after a number of reads, to cancel an extraction half-way.</summary>
internal sealed class CancelAfterReadsStream(Stream inner, CancellationTokenSource cts, int reads) : Stream
{
    private int _reads;
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (++_reads > reads) cts.Cancel();
        return inner.Read(buffer, offset, Math.Min(count, 512));
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
