namespace PodShell.Engine.Runtime.Spec;

/// <summary>Capability names as users type them (-CapAdd net_raw, CAP_NET_RAW, ALL) and the set a container
/// ends up with: podman's defaults, plus adds, minus drops (podman capabilities.MergeCapabilities).</summary>
public static class CapabilitySet
{
    /// <summary>Every capability the kernel knows (linux/capability.h), indexed by number.</summary>
    public static readonly string[] All =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>"net_raw", "NET_RAW", "cap_net_raw" -> "CAP_NET_RAW"; "all" -> "ALL". Anything else is
    /// InvalidCapability, so a typo is reported at create time instead of being silently ignored by runc.</summary>
    public static string Normalize(string name)
    {
        var upper = (name ?? "").Trim().ToUpperInvariant();
        if (upper == "ALL") return "ALL";
        var full = upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        if (Array.IndexOf(All, full) < 0)
        {
            throw new PodShellException(ErrorIds.InvalidCapability, FailureKind.InvalidArgument,
                $"'{name}' is not a Linux capability. Use a name such as NET_RAW or CAP_SYS_ADMIN, or ALL.", name);
        }
        return full;
    }

    /// <summary>The capabilities in a /proc status mask (CapBnd, CapEff), in kernel order.</summary>
    public static string[] FromMask(ulong mask) =>
        All.Where((_, i) => (mask & (1UL << i)) != 0).ToArray();

    /// <summary>The mask of a set of names, as /proc/&lt;pid&gt;/status prints it.</summary>
    public static ulong ToMask(IEnumerable<string> names)
    {
        ulong mask = 0;
        foreach (var n in names)
        {
            var i = Array.IndexOf(All, n);
            if (i >= 0) mask |= 1UL << i;
        }
        return mask;
    }

    /// <summary>The container's capability set. Privileged: every capability the host's bounding set has
    /// (a runtime cannot grant more than it holds). Else the defaults; "ALL" in drops empties the set before
    /// adds, "ALL" in adds fills it before drops (podman's order: add ALL then drop wins, drop ALL then add wins).
    /// The result is sorted by name, like podman's default list, so equal sets print equally.</summary>
    public static string[] Resolve(IEnumerable<string>? add, IEnumerable<string>? drop, bool privileged, ulong hostBounding)
    {
        var adds = (add ?? []).Select(Normalize).ToList();
        var drops = (drop ?? []).Select(Normalize).ToList();
        var available = FromMask(hostBounding);
        if (privileged) return available.Order(StringComparer.Ordinal).ToArray();

        foreach (var a in adds.Where(a => a != "ALL"))
        {
            if (Array.IndexOf(available, a) < 0)
            {
                throw new PodShellException(ErrorIds.CapabilityUnavailable, FailureKind.InvalidArgument,
                    $"Capability {a} cannot be added: the calling process does not hold it in its bounding set, so no container it starts can have it.", a);
            }
        }
        var set = new HashSet<string>(OciSpecBuilder.DefaultCapabilities, StringComparer.Ordinal);
        if (drops.Contains("ALL"))
        {
            set.Clear();
            foreach (var a in adds) if (a != "ALL") set.Add(a);
            if (adds.Contains("ALL")) set.UnionWith(available);
        }
        else
        {
            if (adds.Contains("ALL")) set.UnionWith(available);
            foreach (var a in adds) if (a != "ALL") set.Add(a);
            foreach (var d in drops) set.Remove(d);
        }
        set.IntersectWith(available);
        return set.Order(StringComparer.Ordinal).ToArray();
    }
}
