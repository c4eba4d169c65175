namespace PodShell.Engine.Containers;

/// <summary>-Hostname is checked at New-Container, not left to sethostname(2) in runc at start: the kernel refuses
/// more than HOST_NAME_MAX (64) bytes with EINVAL, which surfaced as RuntimeCreateFailed with runc's text. The
/// characters are RFC 1123's (letters, digits, '-', dots between labels of at most 63), plus '_', which many
/// hosts use and every resolver accepts; a space or a '/' in /etc/hostname and /etc/hosts would break both.</summary>
public static class HostnameRule
{
    /// <summary>HOST_NAME_MAX of Linux (utsname.nodename holds 64 bytes plus NUL).</summary>
    public const int MaxLength = 64;

    public static void Check(string hostname)
    {
        string? why = hostname.Length == 0 ? "it is empty"
            : hostname.Length > MaxLength ? $"it has {hostname.Length} characters, and Linux allows at most {MaxLength} (HOST_NAME_MAX)"
            : !hostname.Split('.').All(ValidLabel) ? "use letters, digits, '-' and '_', with dots between labels of 1 to 63 characters that do not start or end with '-'"
            : null;
        if (why != null)
            throw new PodShellException(ErrorIds.InvalidHostname, FailureKind.InvalidArgument,
                $"'{(hostname.Length > 80 ? hostname[..60] + "..." : hostname)}' is not a valid host name: {why}.", hostname);
    }

    private static bool ValidLabel(string label) =>
        label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-'
        && label.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_');
}
