using System.Globalization;

namespace PodShell.Engine;

/// <summary>Memory sizes as users type them ("128m", "1.5GiB"). Every multiple is binary (k = 1024) whether or
/// not the unit has the "i": that is what podman and docker do (go-units RAMInBytes), so "--memory 128m" means
/// the same here as there.</summary>
public static class ByteSize
{
    private const string AcceptedForms =
        "a positive number of bytes (\"134217728\") or a number with a unit b, k, m, g, t or p, optionally followed by " +
        "\"b\" or \"ib\" in any case (\"64b\", \"512k\", \"128m\", \"128MB\", \"128MiB\", \"1.5g\"); all units are powers of 1024";

    // Index = power of 1024.
    private static readonly string[] FormatUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Parses a size; throws PodShellException "InvalidByteSize" for anything that is not a positive
    /// size that fits in a long.</summary>
    public static long Parse(string text)
    {
        if (TryParse(text, out var bytes))
        {
            return bytes;
        }
        throw new PodShellException(
            ErrorIds.InvalidByteSize,
            FailureKind.InvalidArgument,
            $"'{text}' is not a valid size. Expected {AcceptedForms}; the result must be greater than 0 and at most {long.MaxValue} bytes.",
            text);
    }

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var s = text.Trim();

        // Number: digits, optionally "." and more digits. No sign, no exponent, no thousands separators.
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0) return false;
        if (i < s.Length && s[i] == '.')
        {
            var fractionStart = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == fractionStart) return false;
        }
        var number = s[..i];
        // go-units allows one space between the number and the unit ("128 MiB").
        var unit = s[i..].TrimStart().ToLowerInvariant();

        int power;
        switch (unit)
        {
            case "" or "b": power = 0; break;
            case "k" or "kb" or "kib": power = 1; break;
            case "m" or "mb" or "mib": power = 2; break;
            case "g" or "gb" or "gib": power = 3; break;
            case "t" or "tb" or "tib": power = 4; break;
            case "p" or "pb" or "pib": power = 5; break;
            default: return false;
        }

        decimal value;
        try
        {
            value = decimal.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            for (var p = 0; p < power; p++)
            {
                value *= 1024m;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        // Fractions of a byte are dropped, as go-units does (int64(size * multiplier)).
        value = decimal.Truncate(value);
        if (value <= 0 || value > long.MaxValue)
        {
            return false;
        }
        bytes = (long)value;
        return true;
    }

    /// <summary>A short human form: the largest binary unit with at most two decimals ("128MiB", "1.5GiB",
    /// "1000B"), and "max" for long.MaxValue, the engine's "no limit".</summary>
    public static string Format(long bytes)
    {
        if (bytes == long.MaxValue)
        {
            return "max";
        }
        var sign = bytes < 0 ? "-" : "";
        var power = 0;
        var value = Math.Abs((decimal)bytes);
        while (power < FormatUnits.Length - 1 && value >= 1024m)
        {
            value /= 1024m;
            power++;
        }
        var rounded = decimal.Round(value, 2, MidpointRounding.AwayFromZero);
        // 1048575 bytes is 1023.999 KiB, which would print as "1024KiB".
        if (rounded >= 1024m && power < FormatUnits.Length - 1)
        {
            rounded = decimal.Round(rounded / 1024m, 2, MidpointRounding.AwayFromZero);
            power++;
        }
        return sign + rounded.ToString("0.##", CultureInfo.InvariantCulture) + FormatUnits[power];
    }
}
