using System.Formats.Tar;
using System.Globalization;
using System.Text;
using PodShell.Engine.IO;

namespace PodShell.Engine.Layers;

/// <summary>Writes tar members with names as bytes (<see cref="FileName.Encode"/>): a ustar header when the name
/// (split into prefix/name if need be) and link target are ASCII and fit, else a PAX header before it with
/// path/linkpath records holding the raw bytes (as Go's archive/tar and GNU tar write them). Numbers that do not
/// fit their octal field go to PAX records too. Times are whole seconds, owner names empty: the same tree gives
/// the same bytes.</summary>
internal sealed class TarRecordWriter : IDisposable
{
    private const int Block = 512;
    private readonly Stream _output;
    private bool _finished;

    public TarRecordWriter(Stream output) => _output = output;

    public void Write(TarRecord r)
    {
        byte[] name = FileName.Encode(r.Name);
        byte[] link = FileName.Encode(r.LinkName);
        long size = r.HasData ? r.Size : 0;
        long mtime = r.ModificationTime.ToUnixTimeSeconds();
        var pax = new List<(string Key, byte[] Value)>();

        byte[] ustarName = name, ustarPrefix = [];
        if (!IsAscii(name) || !SplitUstar(name, out ustarName, out ustarPrefix))
        {
            pax.Add(("path", name));
            ustarName = Placeholder(name);
            ustarPrefix = [];
        }
        byte[] ustarLink = link;
        if (!IsAscii(link) || link.Length > 100)
        {
            pax.Add(("linkpath", link));
            ustarLink = Placeholder(link);
        }
        if (size > 077777777777L) pax.Add(("size", Ascii(size)));
        if (r.Uid is < 0 or > 07777777) pax.Add(("uid", Ascii(r.Uid)));
        if (r.Gid is < 0 or > 07777777) pax.Add(("gid", Ascii(r.Gid)));
        if (mtime is < 0 or > 077777777777L) pax.Add(("mtime", Ascii(mtime)));
        foreach (var (k, v) in r.Xattrs.OrderBy(kv => kv.Key, StringComparer.Ordinal)) pax.Add(("SCHILY.xattr." + k, v));

        if (pax.Count > 0)
        {
            var body = new MemoryStream();
            foreach (var (key, value) in pax) WriteRecord(body, key, value);
            var h = Header(PaxName(ustarName), [], [], TarEntryType.ExtendedAttributes, 0x1A4, 0, 0, body.Length, 0, 0, 0);
            _output.Write(h);
            body.Position = 0;
            body.CopyTo(_output);
            Pad(body.Length);
        }
        var header = Header(ustarName, ustarPrefix, ustarLink, r.Type, r.Mode & 0xFFF,
            Clamp(r.Uid, 07777777), Clamp(r.Gid, 07777777), Math.Min(size, 077777777777L), Math.Clamp(mtime, 0, 077777777777L),
            r.DeviceMajor, r.DeviceMinor);
        _output.Write(header);
        if (size > 0)
        {
            CopyExactly(r.DataStream ?? Stream.Null, size);
            Pad(size);
        }
    }

    /// <summary>The end-of-archive marker (two zero blocks).</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        _output.Write(new byte[2 * Block]);
    }

    public void Dispose() => Finish();

    private static bool IsAscii(byte[] b) => b.All(x => x is > 0 and < 0x80);

    private static bool SplitUstar(byte[] name, out byte[] n, out byte[] prefix)
    {
        n = name;
        prefix = [];
        if (name.Length <= 100) return true;
        // Split at a '/' so that the prefix has at most 155 bytes and the rest at most 100.
        for (int i = Math.Min(name.Length - 1, 155); i > 0; i--)
        {
            if (name[i] != '/') continue;
            if (name.Length - i - 1 > 100) return false;
            if (name.Length - i - 1 == 0) continue;
            prefix = name[..i];
            n = name[(i + 1)..];
            return true;
        }
        return false;
    }

    // What a reader that ignores PAX sees: the ASCII bytes of the name, cut to the field.
    private static byte[] Placeholder(byte[] name)
    {
        var ascii = name.Select(b => b is > 0x1F and < 0x7F ? b : (byte)'_').ToArray();
        return ascii.Length <= 100 ? ascii : ascii[^100..];
    }

    private static byte[] PaxName(byte[] name)
    {
        var n = Encoding.ASCII.GetBytes("PaxHeaders/").Concat(name).ToArray();
        return n.Length <= 100 ? n : n[..100];
    }

    private static byte[] Ascii(long v) => Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));
    private static int Clamp(int v, int max) => v < 0 ? 0 : Math.Min(v, max);

    private static void WriteRecord(Stream s, string key, byte[] value)
    {
        // "LEN KEY=VALUE\n" where LEN counts its own digits.
        int rest = 1 + Encoding.UTF8.GetByteCount(key) + 1 + value.Length + 1;
        int len = rest + 1;
        while (len.ToString(CultureInfo.InvariantCulture).Length + rest != len) len++;
        s.Write(Encoding.ASCII.GetBytes(len.ToString(CultureInfo.InvariantCulture) + " "));
        s.Write(Encoding.UTF8.GetBytes(key + "="));
        s.Write(value);
        s.WriteByte((byte)'\n');
    }

    private static byte[] Header(byte[] name, byte[] prefix, byte[] link, TarEntryType type, int mode, int uid, int gid,
        long size, long mtime, int devMajor, int devMinor)
    {
        var h = new byte[Block];
        name.AsSpan(0, Math.Min(100, name.Length)).CopyTo(h.AsSpan(0));
        Octal(h, 100, 8, mode);
        Octal(h, 108, 8, uid);
        Octal(h, 116, 8, gid);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, mtime);
        h[156] = (byte)type;
        link.AsSpan(0, Math.Min(100, link.Length)).CopyTo(h.AsSpan(157));
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            Octal(h, 329, 8, devMajor);
            Octal(h, 337, 8, devMinor);
        }
        prefix.AsSpan(0, Math.Min(155, prefix.Length)).CopyTo(h.AsSpan(345));
        // The checksum is computed with its own field as spaces, then written as 6 octal digits, NUL, space.
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        long sum = 0;
        foreach (byte b in h) sum += b;
        var digits = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(h, 148);
        h[154] = 0;
        h[155] = (byte)' ';
        return h;
    }

    private static void Octal(byte[] h, int offset, int length, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(length - 1, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(h, offset);
        h[offset + length - 1] = 0;
    }

    private void CopyExactly(Stream data, long size)
    {
        var buffer = new byte[81920];
        long left = size;
        while (left > 0)
        {
            int n = data.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) break;
            _output.Write(buffer, 0, n);
            left -= n;
        }
        // A file that shrank while it was read: the header promised size bytes.
        while (left > 0)
        {
            int n = (int)Math.Min(buffer.Length, left);
            Array.Clear(buffer, 0, n);
            _output.Write(buffer, 0, n);
            left -= n;
        }
    }

    private void Pad(long size)
    {
        int pad = (int)((Block - size % Block) % Block);
        if (pad > 0) _output.Write(new byte[pad]);
    }
}
