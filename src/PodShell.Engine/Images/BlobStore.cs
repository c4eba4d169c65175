using System.Security.Cryptography;

namespace PodShell.Engine.Images;

/// <summary>Content-addressed blobs (manifests, configs, compressed layers) kept exactly as received,
/// so a later export or push reuses the same bytes and digests stay stable (design.md, Upstream U10).
/// Writes go to a temp file that is hashed on the way and renamed into place only when the digest
/// matches, so a reader never sees a partial or wrong blob.</summary>
public sealed class BlobStore
{
    public string Root { get; }

    public BlobStore(string root)
    {
        Root = root;
        Directory.CreateDirectory(Path.Combine(root, "sha256"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static bool IsValidDigest(string digest) =>
        digest.Length == 71 && digest.StartsWith("sha256:") && digest[7..].All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public string PathOf(string digest)
    {
        if (!IsValidDigest(digest))
            throw new PodShellException(ErrorIds.InvalidDigest, FailureKind.InvalidArgument, $"'{digest}' is not a sha256 digest.", digest);
        return Path.Combine(Root, "sha256", digest[7..]);
    }

    public bool Has(string digest) => IsValidDigest(digest) && File.Exists(PathOf(digest));

    public long Size(string digest) => new FileInfo(PathOf(digest)).Length;

    public Stream Open(string digest)
    {
        var p = PathOf(digest);
        if (!File.Exists(p)) throw new PodShellException(ErrorIds.BlobNotFound, FailureKind.NotFound, $"Blob {digest} is not in the store.", digest);
        return new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
    }

    public byte[] ReadAll(string digest)
    {
        using var s = Open(digest);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Store a stream; with <paramref name="expectedDigest"/> a mismatch is refused
    /// ("DigestMismatch") and nothing is kept. Returns the digest.</summary>
    public string Put(Stream content, string? expectedDigest = null, CancellationToken ct = default)
    {
        if (expectedDigest != null && !IsValidDigest(expectedDigest))
            throw new PodShellException(ErrorIds.InvalidDigest, FailureKind.InvalidArgument, $"'{expectedDigest}' is not a sha256 digest.", expectedDigest);
        var tmp = Path.Combine(Root, "tmp", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            string digest;
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buf = new byte[1 << 16];
                int n;
                while ((n = content.Read(buf, 0, buf.Length)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    sha.AppendData(buf, 0, n);
                    fs.Write(buf, 0, n);
                }
                fs.Flush(true);
                digest = "sha256:" + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
            }
            if (expectedDigest != null && digest != expectedDigest)
                throw new PodShellException(ErrorIds.DigestMismatch, FailureKind.InvalidArgument,
                    $"Content digest {digest} does not match the expected {expectedDigest}; the blob was refused.", expectedDigest);
            File.Move(tmp, PathOf(digest), overwrite: true);
            return digest;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public string Put(byte[] bytes, string? expectedDigest = null) => Put(new MemoryStream(bytes, writable: false), expectedDigest);

    public void Delete(string digest)
    {
        if (Has(digest)) File.Delete(PathOf(digest));
    }

    /// <summary>How long a temp file may go unwritten while a process with its owner's pid lives: past this the pid
    /// was reused (the name holds no start time) or the writer is stuck, and the file goes.</summary>
    public static readonly TimeSpan StaleTempAge = TimeSpan.FromDays(1);

    /// <summary>The temp directory's mtime: creating or removing a temp file changes it, so an unchanged value means
    /// no writer came or went since it was read.</summary>
    public DateTime TempStamp() => Directory.GetLastWriteTimeUtc(Path.Combine(Root, "tmp"));

    /// <summary>Temp files (blob writes, commit and archive scratch files, all named "&lt;pid&gt;-...") of writers
    /// that died (a killed pull, import or commit): the pid is gone, or the file was not written for
    /// <see cref="StaleTempAge"/>. Returns how many were left to live writers.</summary>
    public int RemoveStaleTemp()
    {
        int pending = 0;
        var tmp = Path.Combine(Root, "tmp");
        if (!Directory.Exists(tmp)) return 0;
        foreach (var f in Directory.EnumerateFiles(tmp))
        {
            var name = Path.GetFileName(f);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out var pid)
                && Linux.ProcessIdentity.StartTime(pid) is { } start && Linux.ProcessIdentity.IsAlive(pid, start) // a zombie is dead
                && File.GetLastWriteTimeUtc(f) > DateTime.UtcNow - StaleTempAge)
            {
                pending++;
                continue;
            }
            try { File.Delete(f); } catch (IOException) { }
        }
        return pending;
    }
}
