using System.Globalization;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>One -Ulimit as podman takes it: "nofile=1024:2048" (soft:hard), "nproc=512" (both), -1 for
/// unlimited. <see cref="Type"/> is the OCI name ("RLIMIT_NOFILE").</summary>
public sealed record Ulimit(string Name, ulong Soft, ulong Hard)
{
    /// <summary>RLIM_INFINITY on every 64-bit Linux ABI.</summary>
    public const ulong Unlimited = ulong.MaxValue;

    /// <summary>Short names (podman/docker, from ulimit(1)) and their RLIMIT_* numbers in asm-generic/resource.h.</summary>
    public static readonly IReadOnlyDictionary<string, int> Resources = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["cpu"] = 0, ["fsize"] = 1, ["data"] = 2, ["stack"] = 3, ["core"] = 4, ["rss"] = 5, ["nproc"] = 6,
        ["nofile"] = 7, ["memlock"] = 8, ["as"] = 9, ["locks"] = 10, ["sigpending"] = 11, ["msgqueue"] = 12,
        ["nice"] = 13, ["rtprio"] = 14, ["rttime"] = 15,
    };

    public string Type => "RLIMIT_" + Name.ToUpperInvariant();

    /// <summary>The form the container record shows: "nofile=1024:2048", "core=-1:-1".</summary>
    public override string ToString() => $"{Name}={Format(Soft)}:{Format(Hard)}";

    private static string Format(ulong v) => v == Unlimited ? "-1" : v.ToString(CultureInfo.InvariantCulture);

    public static Ulimit Parse(string? text)
    {
        text ??= "";
        var s = text.Trim();
        var eq = s.IndexOf('=');
        var name = eq > 0 ? s[..eq].Trim().ToLowerInvariant() : "";
        if (name.StartsWith("rlimit_", StringComparison.Ordinal)) name = name[7..];
        if (!Resources.ContainsKey(name))
        {
            throw Invalid(text, $"'{text}' is not a valid ulimit: expected <name>=<soft>[:<hard>] with a name among {string.Join(", ", Resources.Keys)}.");
        }
        var values = s[(eq + 1)..].Split(':');
        if (values.Length > 2 || !TryValue(values[0], out var soft))
        {
            throw Invalid(text, $"'{text}' is not a valid ulimit: the value must be a number, -1 for unlimited, or soft:hard.");
        }
        var hard = soft;
        if (values.Length == 2 && !TryValue(values[1], out hard))
        {
            throw Invalid(text, $"'{text}' is not a valid ulimit: the hard limit must be a number or -1 for unlimited.");
        }
        if (soft > hard)
        {
            throw Invalid(text, $"Ulimit '{text}': the soft limit {Format(soft)} is above the hard limit {Format(hard)}.");
        }
        return new Ulimit(name, soft, hard);
    }

    /// <summary>Without CAP_SYS_RESOURCE, runc's setrlimit above the caller's hard limit fails with EPERM
    /// only when the container starts ("error setting rlimit type 7"); this says so at create time.</summary>
    public void EnsureWithinHost(HostFacts host)
    {
        if (host.HasCapSysResource) return;
        if (host.HardLimits.TryGetValue(Name, out var hostHard) && Hard > hostHard)
        {
            throw new PodShellException(ErrorIds.UlimitAboveHostLimit, FailureKind.InvalidArgument,
                $"Ulimit {this}: the hard limit {Format(Hard)} is above this host's hard limit for {Name} ({Format(hostHard)}), and raising it needs CAP_SYS_RESOURCE, which the calling process does not have. Use at most {Name}={Format(Math.Min(Soft, hostHard))}:{Format(hostHard)}.",
                ToString());
        }
    }

    private static bool TryValue(string text, out ulong value)
    {
        var t = text.Trim();
        if (t == "-1")
        {
            value = Unlimited;
            return true;
        }
        return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static PodShellException Invalid(string text, string message) =>
        new(ErrorIds.InvalidUlimit, FailureKind.InvalidArgument, message, text);
}
