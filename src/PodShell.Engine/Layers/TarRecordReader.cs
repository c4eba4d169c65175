using System.Formats.Tar;
using System.Text;
using PodShell.Engine.IO;

namespace PodShell.Engine.Layers;

/// <summary>A tar reader that keeps names as bytes: ustar name and prefix, GNU long names ('L', 'K') and PAX
/// path/linkpath records, decoded with <see cref="FileName"/> so that a name with any byte but NUL and '/' survives
/// (System.Formats.Tar decodes them as UTF-8 and turns invalid bytes into U+FFFD, and splits PAX records on a
/// newline inside a value). Formats: v7, ustar, GNU (octal or base-256 numbers) and PAX; sparse members are
/// refused. Any damage is a PodShellException InvalidLayerTar, never a raw InvalidDataException.</summary>
internal sealed class TarRecordReader
{
    private const int Block = 512;
    private readonly Stream _input;
    private readonly byte[] _header = new byte[Block];
    private long _remaining; // data of the current member not yet read
    private int _padding;    // padding after it
    private long _position;
    private bool _ended;

    public TarRecordReader(Stream input) => _input = input;

    /// <summary>Bytes of the stream consumed: after the end, the end-of-archive blocks included.</summary>
    public long Position => _position;

    /// <summary>The next member, or null at the end of the archive (two zero blocks, or the end of the stream).</summary>
    public TarRecord? Next()
    {
        if (_ended) return null;
        Skip(_remaining + _padding);
        _remaining = 0;
        _padding = 0;

        string? paxPath = null, paxLink = null, gnuName = null, gnuLink = null;
        long? paxSize = null, paxUid = null, paxGid = null;
        DateTimeOffset? paxTime = null;
        var xattrs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (true)
        {
            int got = ReadFull(_header, 0, Block);
            if (got == 0 && paxPath is null && gnuName is null) { _ended = true; return null; }
            if (got < Block) throw Invalid("the stream ends inside a header");
            if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                // The end-of-archive marker is two zero blocks; take the second if it is there.
                _ended = true;
                // (A lone zero block followed by data is taken as the end too, as GNU tar does after a warning.)
                ReadFull(new byte[Block], 0, Block);
                if (paxPath is not null || gnuName is not null) throw Invalid("an extended header has no member after it");
                return null;
            }
            CheckChecksum();
            var type = (TarEntryType)_header[156];
            long size = Number(124, 12, "size");
            if (size < 0) throw Invalid("negative size");
            switch (type)
            {
                case TarEntryType.ExtendedAttributes:
                {
                    foreach (var (key, value) in PaxRecords(ReadMeta(size)))
                    {
                        switch (key)
                        {
                            case "path": paxPath = FileName.Decode(value); break;
                            case "linkpath": paxLink = FileName.Decode(value); break;
                            case "size": paxSize = Decimal(value, key); break;
                            case "uid": paxUid = Decimal(value, key); break;
                            case "gid": paxGid = Decimal(value, key); break;
                            case "mtime": paxTime = Time(value); break;
                            default:
                                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal)) xattrs[key["SCHILY.xattr.".Length..]] = value;
                                else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal)) throw Invalid("sparse members are not supported");
                                break;
                        }
                    }
                    continue;
                }
                case TarEntryType.GlobalExtendedAttributes:
                    ReadMeta(size); // applies to the archive, nothing a layer uses
                    continue;
                case TarEntryType.LongPath:
                    gnuName = FileName.Decode(TrimNul(ReadMeta(size)));
                    continue;
                case TarEntryType.LongLink:
                    gnuLink = FileName.Decode(TrimNul(ReadMeta(size)));
                    continue;
                case TarEntryType.SparseFile or TarEntryType.MultiVolume:
                    throw Invalid($"member type '{(char)type}' is not supported");
            }

            bool ustar = _header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
            string name = paxPath ?? gnuName ?? HeaderName(ustar);
            var record = new TarRecord
            {
                Type = type,
                Name = name,
                LinkName = paxLink ?? gnuLink ?? FileName.Decode(Field(157, 100)),
                Mode = (int)(Number(100, 8, "mode") & 0xFFF),
                Uid = (int)(paxUid ?? Number(108, 8, "uid")),
                Gid = (int)(paxGid ?? Number(116, 8, "gid")),
                Size = paxSize ?? size,
                ModificationTime = paxTime ?? DateTimeOffset.FromUnixTimeSeconds(Number(136, 12, "mtime")),
            };
            // A v7 regular file is '\0', or '0' with a name ending in '/' meaning a directory (old tars).
            if (record.Type == TarEntryType.V7RegularFile) record.Type = name.EndsWith('/') ? TarEntryType.Directory : TarEntryType.RegularFile;
            if (record.Type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
            {
                record.DeviceMajor = (int)Number(329, 8, "devmajor");
                record.DeviceMinor = (int)Number(337, 8, "devminor");
            }
            foreach (var kv in xattrs) record.Xattrs[kv.Key] = kv.Value;
            // Header-only types carry no data whatever their size field says (Go's archive/tar, which
            // containers/storage uses, reads them so); other types have Size bytes of data, skipped unless a file.
            long dataSize = record.Type is TarEntryType.HardLink or TarEntryType.SymbolicLink or TarEntryType.CharacterDevice
                or TarEntryType.BlockDevice or TarEntryType.Directory or TarEntryType.Fifo ? 0 : record.Size;
            _remaining = dataSize;
            _padding = (int)((Block - dataSize % Block) % Block);
            if (record.HasData) record.DataStream = new MemberStream(this);
            else record.Size = 0;
            return record;
        }
    }

    private string HeaderName(bool ustar)
    {
        var name = Field(0, 100);
        var prefix = ustar ? Field(345, 155) : ReadOnlySpan<byte>.Empty;
        if (prefix.Length == 0) return FileName.Decode(name);
        var whole = new byte[prefix.Length + 1 + name.Length];
        prefix.CopyTo(whole);
        whole[prefix.Length] = (byte)'/';
        name.CopyTo(whole.AsSpan(prefix.Length + 1));
        return FileName.Decode(whole);
    }

    private ReadOnlySpan<byte> Field(int offset, int length)
    {
        var f = _header.AsSpan(offset, length);
        int nul = f.IndexOf((byte)0);
        return nul >= 0 ? f[..nul] : f;
    }

    private static ReadOnlySpan<byte> TrimNul(byte[] b)
    {
        int end = b.Length;
        while (end > 0 && b[end - 1] == 0) end--;
        return b.AsSpan(0, end);
    }

    private void CheckChecksum()
    {
        long stored = Number(148, 8, "checksum");
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : _header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed) throw Invalid("a header checksum does not match");
    }

    /// <summary>An octal field (NUL or space padded), or GNU base-256 when the first byte has its high bit set.</summary>
    private long Number(int offset, int length, string what)
    {
        var f = _header.AsSpan(offset, length);
        if ((f[0] & 0x80) != 0)
        {
            bool negative = (f[0] & 0x40) != 0;
            long v = f[0] & 0x3F;
            for (int i = 1; i < f.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) throw Invalid($"the {what} field is too large");
                v = (v << 8) | f[i];
            }
            return negative ? v - (1L << (6 + 8 * (f.Length - 1))) : v;
        }
        long value = 0;
        int k = 0;
        while (k < f.Length && f[k] == ' ') k++;
        for (; k < f.Length && f[k] is >= (byte)'0' and <= (byte)'7'; k++)
        {
            if (value > (long.MaxValue >> 3)) throw Invalid($"the {what} field is too large");
            value = value * 8 + (f[k] - '0');
        }
        for (; k < f.Length; k++)
            if (f[k] is not (0 or (byte)' ')) throw Invalid($"the {what} field is not an octal number");
        return value;
    }

    private byte[] ReadMeta(long size)
    {
        // PAX and GNU long-name headers are small; a huge one is damage or an attack on memory.
        if (size > 1 << 20) throw Invalid("an extended header is larger than 1 MiB");
        var data = new byte[size];
        if (ReadFull(data, 0, (int)size) < size) throw Invalid("the stream ends inside an extended header");
        Skip((Block - size % Block) % Block);
        return data;
    }

    /// <summary>PAX records "LEN KEY=VALUE\n", LEN counting the whole record: a value may hold newlines.</summary>
    private static IEnumerable<(string Key, byte[] Value)> PaxRecords(byte[] data)
    {
        var list = new List<(string, byte[])>();
        int pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) break; // NUL padding some writers leave
            int space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, pos, space - pos), out int len) || len <= 0
                || pos + len > data.Length || data[pos + len - 1] != '\n')
                throw Invalid("a PAX record is malformed");
            int eq = Array.IndexOf(data, (byte)'=', space + 1, pos + len - space - 1);
            if (eq < 0) throw Invalid("a PAX record has no '='");
            string key = Encoding.UTF8.GetString(data, space + 1, eq - space - 1);
            list.Add((key, data.AsSpan(eq + 1, pos + len - 1 - eq - 1).ToArray()));
            pos += len;
        }
        return list;
    }

    private static long Decimal(byte[] value, string key)
        => long.TryParse(Encoding.ASCII.GetString(value), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v : throw Invalid($"the PAX {key} record is not a number");

    private static DateTimeOffset Time(byte[] value)
    {
        var text = Encoding.ASCII.GetString(value);
        if (!decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            throw Invalid("the PAX mtime record is not a number");
        try { return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond)); }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException) { throw Invalid("the PAX mtime is out of range"); }
    }

    private int ReadFull(byte[] buffer, int offset, int count) => ReadFull(buffer.AsSpan(offset, count));

    private int ReadFull(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _input.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        _position += total;
        return total;
    }

    private void Skip(long count)
    {
        var buffer = new byte[Math.Min(count, 81920)];
        while (count > 0)
        {
            int n = ReadFull(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0) throw Invalid("the stream ends inside a member's data");
            count -= n;
        }
    }

    internal static PodShellException Invalid(string why)
        => new(ErrorIds.InvalidLayerTar, FailureKind.InvalidArgument, $"The layer is not a valid tar stream: {why}.", null);

    /// <summary>The current member's data; reading past it returns 0.</summary>
    private sealed class MemberStream : IO.ReadOnlyStream
    {
        private readonly TarRecordReader _r;
        public MemberStream(TarRecordReader r) => _r = r;
        public override int Read(Span<byte> buffer)
        {
            if (_r._remaining == 0) return 0;
            int n = _r.ReadFull(buffer[..(int)Math.Min(buffer.Length, _r._remaining)]);
            if (n == 0 && buffer.Length > 0) throw Invalid("the stream ends inside a member's data");
            _r._remaining -= n;
            return n;
        }
    }
}
