using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Images.Archive;

/// <summary>The blobs that make up one image for export: its manifest, config and layers, all in the
/// blob store, and the names to write.</summary>
public sealed record ExportImage(string ManifestDigest, string ManifestMediaType, string ConfigDigest,
    IReadOnlyList<ExportLayer> Layers, IReadOnlyList<string> DiffIds, IReadOnlyList<string> Names);

public sealed record ExportLayer(string Digest, string MediaType, long Size);

/// <summary>Writes images as an OCI layout (directory or tar) or a docker-archive. Everything is written
/// next to the destination under a temporary name and renamed into place, so a failed or cancelled
/// export leaves no half archive. Tar members get fixed owners and times: the same images give the
/// same archive bytes.</summary>
public sealed class ImageArchiveWriter
{
    private static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;
    private readonly BlobStore _blobs;
    private readonly Action<ArchiveProgress>? _progress;

    public ImageArchiveWriter(BlobStore blobs, Action<ArchiveProgress>? progress = null)
    {
        _blobs = blobs;
        _progress = progress;
    }

    public void Write(IReadOnlyList<ExportImage> images, string destination, ImageArchiveFormat format, CancellationToken ct = default)
    {
        if (images.Count == 0) throw new PodShellException(ErrorIds.NoImage, FailureKind.InvalidArgument, "There is no image to export.", null);
        destination = Path.GetFullPath(destination).TrimEnd('/');
        var tmp = destination + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            switch (format)
            {
                case ImageArchiveFormat.OciDirectory:
                    if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
                        throw new PodShellException(ErrorIds.DestinationNotEmpty, FailureKind.AlreadyExists,
                            $"The directory '{destination}' exists and is not empty; choose a new or empty directory.", destination);
                    if (File.Exists(destination))
                        throw new PodShellException(ErrorIds.DestinationNotEmpty, FailureKind.AlreadyExists, $"'{destination}' is a file, not a directory.", destination);
                    Directory.CreateDirectory(tmp);
                    WriteOciLayout(images, new DirectorySink(tmp), ct);
                    if (Directory.Exists(destination)) Directory.Delete(destination);
                    Directory.Move(tmp, destination);
                    break;
                case ImageArchiveFormat.OciArchive or ImageArchiveFormat.DockerArchive:
                    if (Directory.Exists(destination))
                        throw new PodShellException(ErrorIds.DestinationNotEmpty, FailureKind.AlreadyExists, $"'{destination}' is a directory; an archive is a file.", destination);
                    using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    using (var sink = new TarSink(fs))
                    {
                        if (format == ImageArchiveFormat.OciArchive) WriteOciLayout(images, sink, ct);
                        else WriteDockerArchive(images, sink, ct);
                    }
                    File.Move(tmp, destination, overwrite: true);
                    break;
                default:
                    throw new PodShellException(ErrorIds.InvalidArchiveFormat, FailureKind.InvalidArgument, $"Cannot export as '{format}'.", format);
            }
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            else if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private void WriteOciLayout(IReadOnlyList<ExportImage> images, ISink sink, CancellationToken ct)
    {
        sink.AddBytes("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
        var manifests = new JsonArray();
        foreach (var img in images)
        {
            var size = _blobs.Size(img.ManifestDigest);
            foreach (var name in img.Names.DefaultIfEmpty(null))
            {
                var d = new JsonObject { ["mediaType"] = img.ManifestMediaType, ["digest"] = img.ManifestDigest, ["size"] = size };
                if (name != null) d["annotations"] = new JsonObject { [OciMediaTypes.RefNameAnnotation] = name };
                manifests.Add(d);
            }
        }
        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciMediaTypes.Index, ["manifests"] = manifests };
        sink.AddBytes("index.json", Encoding.UTF8.GetBytes(index.ToJsonString()));
        sink.AddDirectory("blobs/");
        sink.AddDirectory("blobs/sha256/");

        var blobs = new List<string>();
        foreach (var img in images)
            foreach (var d in img.Layers.Select(l => l.Digest).Append(img.ConfigDigest).Append(img.ManifestDigest))
                if (!blobs.Contains(d)) blobs.Add(d);
        for (int i = 0; i < blobs.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            long total = _blobs.Size(blobs[i]);
            _progress?.Invoke(new ArchiveProgress("Writing blobs", blobs[i], i + 1, blobs.Count, 0, total));
            using var s = _blobs.Open(blobs[i]);
            sink.AddFile("blobs/sha256/" + blobs[i][7..], s, total, ct);
        }
    }

    /// <summary>moby image/tarexport layout as podman save writes it: uncompressed &lt;diffid&gt;.tar layers,
    /// &lt;config hex&gt;.json, manifest.json with RepoTags. Compressed blobs are decompressed on the way:
    /// docker-archive layers are plain tars whose digest is the diff_id.</summary>
    private void WriteDockerArchive(IReadOnlyList<ExportImage> images, ISink sink, CancellationToken ct)
    {
        var written = new HashSet<string>();
        var manifest = new JsonArray();
        var scratch = Path.Combine(_blobs.Root, "tmp");
        foreach (var img in images)
        {
            var layerNames = new JsonArray();
            for (int i = 0; i < img.Layers.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var layer = img.Layers[i];
                var diffId = img.DiffIds[i];
                var member = diffId[7..] + ".tar";
                layerNames.Add(member);
                if (!written.Add(member)) continue;
                _progress?.Invoke(new ArchiveProgress("Writing layers", layer.Digest, i + 1, img.Layers.Count, 0, layer.Size));
                using var blob = _blobs.Open(layer.Digest);
                var (kind, replay) = LayerCompression.Sniff(blob);
                if (kind == LayerCompressionKind.None && layer.Digest == diffId)
                {
                    sink.AddFile(member, replay, _blobs.Size(layer.Digest), ct);
                    continue;
                }
                // The member's size goes in its header before its data: decompress to a scratch file first.
                var tmp = Path.Combine(scratch, $"{Environment.ProcessId}-export-{Guid.NewGuid():N}");
                try
                {
                    string actual;
                    using (var plain = LayerCompression.Decompress(replay))
                    using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
                    {
                        actual = CopyHashing(plain, fs, ct);
                        if (actual != diffId)
                            throw new PodShellException(ErrorIds.DiffIdMismatch, FailureKind.InvalidState,
                                $"Layer {layer.Digest} decompresses to {actual}, not the diff_id {diffId} its config records.", layer.Digest);
                        fs.Position = 0;
                        sink.AddFile(member, fs, fs.Length, ct);
                    }
                }
                finally { File.Delete(tmp); }
            }
            var configMember = img.ConfigDigest[7..] + ".json";
            if (written.Add(configMember))
            {
                using var cfg = _blobs.Open(img.ConfigDigest);
                sink.AddFile(configMember, cfg, _blobs.Size(img.ConfigDigest), ct);
            }
            manifest.Add(new JsonObject
            {
                ["Config"] = configMember,
                ["RepoTags"] = new JsonArray(img.Names.Select(n => (JsonNode)n!).ToArray()),
                ["Layers"] = layerNames,
            });
        }
        sink.AddBytes("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    private static string CopyHashing(Stream from, Stream to, CancellationToken ct)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buf = new byte[1 << 16];
        int n;
        while ((n = from.Read(buf)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            sha.AppendData(buf, 0, n);
            to.Write(buf, 0, n);
        }
        return "sha256:" + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    private interface ISink
    {
        void AddDirectory(string name);
        void AddBytes(string name, byte[] bytes);
        void AddFile(string name, Stream content, long length, CancellationToken ct);
    }

    private sealed class DirectorySink : ISink
    {
        private readonly string _root;
        public DirectorySink(string root) => _root = root;
        public void AddDirectory(string name) => Directory.CreateDirectory(Path.Combine(_root, name));
        public void AddBytes(string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(_root, name), bytes);
        public void AddFile(string name, Stream content, long length, CancellationToken ct)
        {
            using var fs = new FileStream(Path.Combine(_root, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            var buf = new byte[1 << 16];
            int n;
            while ((n = content.Read(buf)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                fs.Write(buf, 0, n);
            }
        }
    }

    private sealed class TarSink : ISink, IDisposable
    {
        private readonly TarWriter _writer;
        public TarSink(Stream output) => _writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);

        private static PaxTarEntry Entry(TarEntryType type, string name, UnixFileMode mode) =>
            new(type, name) { Mode = mode, ModificationTime = FixedTime, Uid = 0, Gid = 0 };

        public void AddDirectory(string name) => _writer.WriteEntry(Entry(TarEntryType.Directory, name, (UnixFileMode)0x1ED));
        public void AddBytes(string name, byte[] bytes)
        {
            var e = Entry(TarEntryType.RegularFile, name, (UnixFileMode)0x1A4);
            e.DataStream = new MemoryStream(bytes, writable: false);
            _writer.WriteEntry(e);
        }
        public void AddFile(string name, Stream content, long length, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var e = Entry(TarEntryType.RegularFile, name, (UnixFileMode)0x1A4);
            // TarWriter needs the length up front; a non-seekable stream gets a seekable length-bounded view.
            e.DataStream = content.CanSeek ? content : new KnownLengthStream(content, length);
            _writer.WriteEntry(e);
        }
        public void Dispose() => _writer.Dispose();
    }
}

/// <summary>A non-seekable stream whose length is known, for TarWriter (which reads Length to write the header).</summary>
internal sealed class KnownLengthStream : Stream
{
    private readonly Stream _inner;
    private readonly long _length;
    private long _pos;
    public KnownLengthStream(Stream inner, long length) { _inner = inner; _length = length; }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        if (_pos >= _length) return 0;
        if (buffer.Length > _length - _pos) buffer = buffer[..(int)(_length - _pos)];
        int n = _inner.Read(buffer);
        _pos += n;
        return n;
    }
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _pos; set { if (value != _pos) throw new NotSupportedException(); } }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _pos + offset, _ => _length + offset };
        if (target != _pos) throw new NotSupportedException();
        return _pos;
    }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
