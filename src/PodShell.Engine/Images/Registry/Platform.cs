using System.Runtime.InteropServices;

namespace PodShell.Engine.Images.Registry;

/// <summary>An OCI platform: os/architecture[/variant], as in "linux/arm64/v8".</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>This host's platform in Go's names (GOOS/GOARCH), which image indexes use.</summary>
    public static Platform Host => new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        _ => "amd64",
    });

    /// <summary>Parse "os/arch[/variant]"; an invalid string is refused with "InvalidPlatform".</summary>
    public static Platform Parse(string text)
    {
        var parts = (text ?? "").Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
            throw new PodShellException(ErrorIds.InvalidPlatform, FailureKind.InvalidArgument,
                $"'{text}' is not a platform: use os/architecture[/variant], such as linux/amd64 or linux/arm64/v8.", text);
        return new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>Same os and architecture; the variant must match only when this (wanted) platform names
    /// one. arm64's only variant is v8, so "v8" and none are the same there.</summary>
    public bool Matches(Platform candidate)
    {
        if (!string.Equals(Os, candidate.Os, StringComparison.OrdinalIgnoreCase)) return false;
        if (!string.Equals(Architecture, candidate.Architecture, StringComparison.OrdinalIgnoreCase)) return false;
        if (Variant is null) return true;
        var cv = candidate.Variant ?? (Architecture == "arm64" ? "v8" : null);
        return string.Equals(Variant, cv, StringComparison.OrdinalIgnoreCase);
    }
}
