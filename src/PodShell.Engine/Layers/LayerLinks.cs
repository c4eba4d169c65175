using System.Security.Cryptography;
using System.Text;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Layers;

/// <summary>The short names under &lt;root&gt;/l that stand for a layer's diff dir in overlay's lowerdir option.</summary>
internal static class LayerLinks
{
    // containers/storage drivers/overlay: 26 chars lets 128 "l/<link>:" lowers fit in a page.
    internal const int LinkLength = 26;
    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>The link name a layer dir records in its "link" file, or null if it has none or a malformed one.</summary>
    public static string? Read(string layerDir)
    {
        string file = layerDir + "/link";
        if (FileStatus.TryLStat(file) is not { IsRegularFile: true }) return null;
        string link = File.ReadAllText(file).Trim();
        return link.Length == LinkLength && link.All(c => Base32Alphabet.Contains(c)) ? link : null;
    }

    /// <summary>A fresh link name not yet used under <paramref name="linkDir"/>.</summary>
    public static string New(string linkDir)
    {
        while (true)
        {
            string link = Base32(RandomNumberGenerator.GetBytes(17))[..LinkLength];
            if (FileStatus.TryLStat(linkDir + "/" + link) is null) return link;
        }
    }

    private static string Base32(byte[] data)
    {
        var sb = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Base32Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return sb.ToString();
    }

}
