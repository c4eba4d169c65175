using System.Globalization;

namespace PodShell.Engine.Build;

/// <summary>EXPOSE words in the form the image config's ExposedPorts keys use: "port/proto" with the
/// protocol lower-cased and tcp when none is given (Docker's nat.ParsePortSpec rules, without host parts,
/// which EXPOSE does not take).</summary>
public static class ExposedPort
{
    public static bool TryNormalize(string word, out string port)
    {
        port = "";
        var slash = word.IndexOf('/');
        var number = slash < 0 ? word : word[..slash];
        var proto = slash < 0 ? "tcp" : word[(slash + 1)..].ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp")) return false;
        var dash = number.IndexOf('-');
        if (dash < 0)
        {
            if (!IsPort(number)) return false;
        }
        else if (!IsPort(number[..dash]) || !IsPort(number[(dash + 1)..])
                 || int.Parse(number[..dash], CultureInfo.InvariantCulture) > int.Parse(number[(dash + 1)..], CultureInfo.InvariantCulture))
            return false;
        port = number + "/" + proto;
        return true;
    }

    private static bool IsPort(string s) =>
        s.Length is > 0 and <= 5 && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 65535;
}
