using System.Text;
using System.Text.Unicode;

namespace PodShell.Engine.IO;

/// <summary>Linux file names are bytes; .NET strings are UTF-16. Names are decoded as UTF-8, and every byte that is
/// not part of a valid UTF-8 sequence becomes the lone surrogate U+DC00+byte (U+DC80..U+DCFF, Python's
/// "surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so the mapping is one-to-one and
/// <see cref="Encode"/> gives back the very bytes. .NET's own decoding turns such bytes into U+FFFD (lossy), and its
/// encoding turns a lone surrogate into EF BF BD, so a name that may carry them must reach the kernel through the
/// byte[] P/Invokes under Linux/ (which call <see cref="ToNative"/>), never through System.IO.</summary>
public static class FileName
{
    private const char EscapeBase = '\uDC00';

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        // The common case: valid UTF-8, decoded by the framework.
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[i..], out var rune, out int used) == System.Buffers.OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                i += used;
            }
            else
            {
                // One byte at a time: the next byte may start a valid sequence.
                sb.Append((char)(EscapeBase + bytes[i]));
                i++;
            }
        }
        return sb.ToString();
    }

    public static byte[] Encode(string name)
    {
        if (!HasEscapes(name)) return Encoding.UTF8.GetBytes(name);
        var output = new List<byte>(name.Length + 8);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c is >= '\uDC80' and <= '\uDCFF' && !(i > 0 && char.IsHighSurrogate(name[i - 1])))
            {
                output.Add((byte)(c - EscapeBase));
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                int n = new Rune(c, name[i + 1]).EncodeToUtf8(buf);
                for (int k = 0; k < n; k++) output.Add(buf[k]);
                i++;
                continue;
            }
            // Any other lone surrogate: what .NET writes for it (U+FFFD).
            var r = char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c);
            int m = r.EncodeToUtf8(buf);
            for (int k = 0; k < m; k++) output.Add(buf[k]);
        }
        return output.ToArray();
    }

    /// <summary>The NUL-terminated bytes a syscall takes.</summary>
    public static byte[] ToNative(string path)
    {
        var bytes = Encode(path);
        var z = new byte[bytes.Length + 1];
        bytes.CopyTo(z, 0);
        return z;
    }

    /// <summary>True when the name holds an escaped byte, i.e. it is not valid UTF-8 on disk.</summary>
    public static bool HasEscapes(string name)
    {
        foreach (char c in name) if (char.IsSurrogate(c)) return true;
        return false;
    }
}
