namespace PodShell.Engine.Runtime.Spec;

/// <summary>podman --tmpfs: "&lt;destination&gt;[:option,option...]". The options go to the kernel's tmpfs
/// (size=64m, mode=1777, uid=, gid=, nr_inodes=) and the mount flags (ro, exec, suid, dev); podman's defaults
/// rw, noexec, nosuid, nodev and tmpcopyup apply unless an option says otherwise.</summary>
public static class TmpfsRequest
{
    private static readonly (string Default, string[] Overrides)[] Defaults =
    [
        ("rw", ["ro"]),
        ("noexec", ["exec"]),
        ("nosuid", ["suid"]),
        ("nodev", ["dev"]),
        ("tmpcopyup", ["notmpcopyup"]),
    ];

    public static SpecMount Parse(string? text)
    {
        text ??= "";
        var colon = text.IndexOf(':');
        var destination = colon < 0 ? text : text[..colon];
        var given = colon < 0 ? [] : text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!destination.StartsWith('/') || destination.TrimEnd('/').Length == 0 || destination.Split('/').Contains(".."))
        {
            throw new PodShellException(ErrorIds.InvalidTmpfs, FailureKind.InvalidArgument,
                $"'{text}' is not a valid tmpfs mount: expected an absolute destination other than / (without '..'), then optionally ':' and comma-separated options such as size=64m,mode=1777.", text);
        }
        MountDestination.Check(destination, isBind: false, text);
        foreach (var option in given)
        {
            if (option.StartsWith("size=", StringComparison.Ordinal) && !IsTmpfsSize(option[5..]))
            {
                throw new PodShellException(ErrorIds.InvalidTmpfs, FailureKind.InvalidArgument,
                    $"'{text}': '{option}' is not a tmpfs size; use bytes, a k/m/g suffix (size=64m) or a percentage of RAM (size=10%).", text);
            }
        }
        var options = new List<string>();
        foreach (var (value, overrides) in Defaults)
        {
            if (!given.Any(g => g == value || overrides.Contains(g))) options.Add(value);
        }
        // notmpcopyup is podman's word, not a mount option: the runtime must not see it.
        options.AddRange(given.Where(g => g != "notmpcopyup"));
        return new SpecMount(destination.Length > 1 ? destination.TrimEnd('/') : destination, "tmpfs", "tmpfs", options.ToArray());
    }

    private static bool IsTmpfsSize(string s)
    {
        if (s.EndsWith('%')) return s.Length > 1 && s[..^1].All(char.IsAsciiDigit);
        var digits = s.Length > 0 && char.ToLowerInvariant(s[^1]) is 'k' or 'm' or 'g' or 't' or 'p' or 'e' ? s[..^1] : s;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit);
    }
}
