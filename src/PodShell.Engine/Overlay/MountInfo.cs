using System.Text;

namespace PodShell.Engine.Overlay;

/// <summary>One line of /proc/[pid]/mountinfo (proc(5)), with the kernel's octal escapes decoded.</summary>
internal sealed record MountInfoEntry(string MountPoint, string FsType, string Source, string SuperOptions);

internal static class MountInfo
{
    public static List<MountInfoEntry> Read(string path = "/proc/self/mountinfo")
    {
        var result = new List<MountInfoEntry>();
        foreach (string line in File.ReadLines(path))
        {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            string[] fields = line.Split(' ');
            int dash = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (dash < 0 || dash + 3 >= fields.Length) continue;
            string fsType = fields[dash + 1];
            string source = Unescape(fields[dash + 2]);
            // Super options stay escaped: overlay paths may contain an escaped ',' that must not split an option.
            string superOptions = fields[dash + 3];
            result.Add(new MountInfoEntry(Unescape(fields[4]), fsType, source, superOptions));
        }
        return result;
    }

    /// <summary>Decodes the \ooo escapes the kernel uses for space, tab, newline, backslash (and in overlay
    /// options also ',' '=' ':').</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var bytes = new List<byte>(s.Length);
        var raw = Encoding.UTF8.GetBytes(s);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else bytes.Add(raw[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte b) => b >= '0' && b <= '7';
}
