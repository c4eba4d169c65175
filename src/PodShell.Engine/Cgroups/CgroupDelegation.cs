using PodShell.Engine.Linux;

namespace PodShell.Engine.Cgroups;

/// <summary>Whether an ordinary user may put containers under cgroups with limits, and where.
/// On cgroup v1 (and hybrid hosts, which runc and podman treat as v1) the kernel gives a user no cgroup of
/// its own, so never. On cgroup v2 a user gets a subtree when someone root delegated it: systemd chowns
/// the directory of user@&lt;uid&gt;.service with its cgroup.procs, cgroup.threads and cgroup.subtree_control
/// to the user (Delegate= of user@.service; typically only memory and pids, see runc docs/cgroup-v2.md).</summary>
/// <param name="CanEnforce">True when the user has a delegated subtree with at least one controller.</param>
/// <param name="Parent">The cgroup, relative to the v2 root, under which container cgroups go; null when
/// CanEnforce is false.</param>
/// <param name="Controllers">The controllers the delegated subtree can pass to its children
/// (its cgroup.controllers), in the kernel's order; empty when CanEnforce is false.</param>
/// <param name="Reason">Why limits cannot be enforced, or which subtree enforces them.</param>
public sealed record CgroupDelegation(bool CanEnforce, string? Parent, string[] Controllers, string Reason)
{
    public const string DefaultParentName = "podshell";

    /// <summary>The uid the answer is for.</summary>
    public int Uid { get; init; }

    public CgroupMode Mode { get; init; }

    /// <summary>Our own cgroup (the "0::" line of /proc/self/cgroup); null on v1 or when unreadable.</summary>
    public string? Own { get; init; }

    /// <summary>The top of the delegated subtree: the highest ancestor of Own that the uid owns without a
    /// gap (usually /user.slice/user-&lt;uid&gt;.slice/user@&lt;uid&gt;.service). Null when there is none.</summary>
    public string? Delegated { get; init; }

    public bool Supports(string controller) => CanEnforce && Array.IndexOf(Controllers, controller) >= 0;
    public bool CanLimitMemory => Supports("memory");
    public bool CanLimitCpu => Supports("cpu");
    public bool CanLimitPids => Supports("pids");
    public bool CanLimitIo => Supports("io");

    /// <summary>A warning sentence naming each requested limit that will not be enforced, or null when all
    /// requested limits (non-null arguments) are.</summary>
    public string? UnenforcedLimits(long? memory, double? cpus, long? pidsLimit)
    {
        var missing = new List<string>();
        if (memory is not null && !CanLimitMemory) missing.Add("-Memory");
        if (cpus is not null && !CanLimitCpu) missing.Add("-Cpus");
        if (pidsLimit is not null && !CanLimitPids) missing.Add("-PidsLimit");
        if (missing.Count == 0)
            return null;
        var names = string.Join(", ", missing);
        if (!CanEnforce)
            return $"{names} cannot be enforced for this rootless container: {Reason}";
        var absent = missing.Select(m => m switch { "-Memory" => "memory", "-Cpus" => "cpu", _ => "pids" });
        return $"{names} cannot be enforced for this rootless container: the cgroup {Delegated} delegated to uid {Uid} " +
            $"offers only the controllers '{string.Join(' ', Controllers)}', not '{string.Join(' ', absent)}'. " +
            $"Root can delegate more with Delegate= in /etc/systemd/system/user@.service.d/.";
    }

    /// <summary>Where <paramref name="uid"/> may create container cgroups with limits. Never throws for
    /// what it finds on the host: every obstacle becomes CanEnforce = false with a Reason.</summary>
    /// <param name="uid">The user the containers run as on the host.</param>
    /// <param name="mode">The host's layout, from CgroupHost.Detect.</param>
    /// <param name="cgroupRoot">Where the cgroup v2 hierarchy is mounted.</param>
    /// <param name="procSelfCgroup">The file that names our own cgroup; the caller's process is assumed to
    /// run as <paramref name="uid"/>, since only processes inside the delegated subtree may move processes
    /// into it.</param>
    /// <param name="parentName">The child of the delegated subtree that holds container cgroups.</param>
    public static CgroupDelegation Detect(int uid, CgroupMode mode, string cgroupRoot = CgroupHost.DefaultMountRoot,
        string procSelfCgroup = "/proc/self/cgroup", string parentName = DefaultParentName)
    {
        ArgumentNullException.ThrowIfNull(cgroupRoot);
        ArgumentNullException.ThrowIfNull(procSelfCgroup);
        var parentSegments = ParentSegments(parentName);
        var none = new CgroupDelegation(false, null, Array.Empty<string>(), "") { Uid = uid, Mode = mode };

        if (mode == CgroupMode.V1)
            return none with { Reason = "cgroup v1: the kernel gives an ordinary user no cgroup of its own, so " +
                "-Memory/-Cpus/-PidsLimit cannot be enforced for rootless containers." };
        if (mode == CgroupMode.Hybrid)
            return none with { Reason = "cgroup v1 (hybrid host: the controllers are in v1 hierarchies, the cgroup2 " +
                "tree has none to delegate): the kernel gives an ordinary user no cgroup of its own, so " +
                "-Memory/-Cpus/-PidsLimit cannot be enforced for rootless containers." };
        if (mode != CgroupMode.V2)
            throw new ArgumentOutOfRangeException(nameof(mode), mode, null);

        var own = ReadOwn(procSelfCgroup, out var problem);
        if (own is null)
            return none with { Reason = $"cgroup v2, but {problem}, so PodShell cannot tell which cgroup it runs in " +
                "and enforces no limits for rootless containers." };
        none = none with { Own = own };
        if (!Directory.Exists(CgroupMount.Join(cgroupRoot, own)))
            return none with { Reason = $"cgroup v2, but our cgroup {own} does not exist under {cgroupRoot} (is " +
                "another cgroup namespace's tree mounted there?), so no limits are enforced for rootless containers." };

        var delegated = DelegatedTop(cgroupRoot, own, uid);
        if (delegated is null)
            return none with { Reason = NotDelegatedReason(cgroupRoot, own, uid) };
        none = none with { Delegated = delegated };

        var dir = CgroupMount.Join(cgroupRoot, delegated);
        // No internal processes (cgroup-v2.rst): a non-root cgroup with processes cannot enable controllers
        // for its children, so a delegated leaf we run in directly is no place for container cgroups.
        if (delegated != "/" && HasProcesses(dir))
            return none with { Reason = $"cgroup v2: {dir} is delegated to uid {uid} but has processes of its own " +
                "(the kernel's no-internal-process rule), so it cannot pass controllers to container cgroups. " +
                "Start pwsh in a child cgroup, e.g. with 'systemd-run --user --scope pwsh'." };

        var controllers = Tokens(CgroupFile.ReadRaw(dir, "cgroup.controllers"));
        if (controllers.Length == 0)
            return none with { Reason = $"cgroup v2: {dir} is delegated to uid {uid} but offers no controllers, so " +
                "-Memory/-Cpus/-PidsLimit cannot be enforced for rootless containers. Root can delegate them with " +
                "Delegate=memory pids cpu io in /etc/systemd/system/user@.service.d/." };

        var parent = delegated.TrimEnd('/') + "/" + string.Join('/', parentSegments);
        // A parent on our own path would put container cgroups above our own process, where enabling
        // controllers breaks the no-internal-process rule for the cgroup we run in.
        if (own == parent || own.StartsWith(parent + "/", StringComparison.Ordinal))
            return none with { Reason = $"cgroup v2: PodShell runs inside {parent}, the cgroup meant for its " +
                "containers, so it cannot enable controllers there." };
        return new CgroupDelegation(true, parent, controllers,
            $"cgroup v2: {dir} is delegated to uid {uid} with the controllers '{string.Join(' ', controllers)}'; " +
            $"containers go under {parent}.")
        { Uid = uid, Mode = mode, Own = own, Delegated = delegated };
    }

    /// <summary>Creates Parent (and any directory between it and Delegated) and enables Controllers in the
    /// cgroup.subtree_control of Delegated, of each directory in between and of Parent itself, so that a
    /// container cgroup created under Parent gets every delegated controller. Writes only what is missing,
    /// so a second call changes nothing. Returns the directory of Parent.</summary>
    public string Prepare(string cgroupRoot = CgroupHost.DefaultMountRoot)
    {
        ArgumentNullException.ThrowIfNull(cgroupRoot);
        if (!CanEnforce || Parent is null || Delegated is null)
            throw new PodShellException(ErrorIds.CgroupNotDelegated, FailureKind.NotSupported, Reason, Parent);

        var chain = new List<string> { Delegated };
        var below = Parent[Delegated.TrimEnd('/').Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in below)
            chain.Add(chain[^1].TrimEnd('/') + "/" + segment);

        var created = new List<string>();
        try
        {
            for (int i = 0; i < chain.Count; i++)
            {
                var dir = CgroupMount.Join(cgroupRoot, chain[i]);
                if (i > 0 && !Directory.Exists(dir))
                {
                    Create(dir);
                    created.Add(dir);
                }
                EnableControllers(dir);
            }
        }
        catch (PodShellException)
        {
            // Leave the tree as it was; rmdir of a cgroup directory we just made succeeds while it is empty.
            for (int i = created.Count - 1; i >= 0; i--)
                CgroupDirectory.Remove(created[i]);
            throw;
        }
        return CgroupMount.Join(cgroupRoot, Parent);
    }

    private void Create(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PodShellException(ErrorIds.CgroupDelegationFailed, FailureKind.PermissionDenied,
                $"Cannot create the cgroup {dir} for rootless containers (uid {Uid}): {e.Message}", dir, e);
        }
    }

    private void EnableControllers(string dir)
    {
        var current = CgroupFile.ReadRaw(dir, "cgroup.subtree_control");
        if (current is null)
            throw new PodShellException(ErrorIds.CgroupDelegationFailed, FailureKind.InvalidState,
                $"{dir} has no cgroup.subtree_control: it is not a cgroup v2 directory.", dir);
        var enabled = Tokens(current).Select(t => t.TrimStart('+')).ToHashSet(StringComparer.Ordinal);
        var missing = Controllers.Where(c => !enabled.Contains(c)).ToArray();
        if (missing.Length == 0)
            return;
        // One write with every token: the kernel applies all or none, as runc's enableControllers does.
        var value = string.Join(' ', missing.Select(c => "+" + c));
        try
        {
            CgroupFile.Write(dir, "cgroup.subtree_control", value);
        }
        catch (PodShellException e)
        {
            throw new PodShellException(ErrorIds.CgroupDelegationFailed, FailureKind.PermissionDenied,
                $"Cannot enable '{value}' in {dir}/cgroup.subtree_control for rootless containers (uid {Uid}): " +
                $"{e.InnerException?.Message ?? e.Message} A cgroup with processes of its own cannot enable " +
                "controllers (EBUSY), and only controllers in its cgroup.controllers can be enabled.", dir, e);
        }
    }

    private static string[] ParentSegments(string parentName)
    {
        ArgumentNullException.ThrowIfNull(parentName);
        var segments = parentName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s is "." or "..") || parentName.Contains('\0'))
            throw new ArgumentException($"'{parentName}' is not a relative cgroup name.", nameof(parentName));
        return segments;
    }

    /// <summary>The path of the "0::" line, normalized; null with a description when there is none.</summary>
    private static string? ReadOwn(string procSelfCgroup, out string problem)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(procSelfCgroup);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{procSelfCgroup} cannot be read ({e.Message})";
            return null;
        }
        var v2 = lines.Where(l => l.StartsWith("0::", StringComparison.Ordinal)).ToArray();
        if (v2.Length != 1)
        {
            problem = v2.Length == 0 ? $"{procSelfCgroup} has no '0::' line" : $"{procSelfCgroup} has {v2.Length} '0::' lines";
            return null;
        }
        var path = v2[0][3..];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // The kernel writes an absolute path; anything else (or ".." from a foreign cgroup namespace) is not ours.
        if (!path.StartsWith('/') || path.Contains('\0') || segments.Any(s => s is "." or ".."))
        {
            problem = $"{procSelfCgroup} names '{path}', which is not a cgroup path";
            return null;
        }
        problem = "";
        return "/" + string.Join('/', segments);
    }

    /// <summary>Walks up from <paramref name="own"/> to the nearest cgroup the uid may manage, then on up
    /// while the parents are too: moving a process needs write access to cgroup.procs of the common ancestor
    /// of source and target, so the top of the contiguous run is what the user can use.</summary>
    private static string? DelegatedTop(string cgroupRoot, string own, int uid)
    {
        string? top = null;
        for (var path = own; path is not null; path = ParentOf(path))
        {
            bool delegated = IsDelegated(CgroupMount.Join(cgroupRoot, path), uid);
            if (delegated)
                top = path;
            else if (top is not null)
                break;
        }
        return top;
    }

    // systemd's delegation chowns the directory, cgroup.procs and cgroup.subtree_control (and
    // cgroup.threads); without all three the user can neither move processes in nor pass controllers down.
    private static bool IsDelegated(string dir, int uid) =>
        FileStatus.IsOwnerWritable(dir, uid)
        && FileStatus.IsOwnerWritable(Path.Combine(dir, "cgroup.procs"), uid)
        && FileStatus.IsOwnerWritable(Path.Combine(dir, "cgroup.subtree_control"), uid);

    private static string? ParentOf(string path)
    {
        if (path == "/")
            return null;
        var cut = path.LastIndexOf('/');
        return cut <= 0 ? "/" : path[..cut];
    }

    private static bool HasProcesses(string dir) =>
        !string.IsNullOrWhiteSpace(CgroupFile.ReadRaw(dir, "cgroup.procs"));

    private static string[] Tokens(string? text) =>
        text is null ? Array.Empty<string>() : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static string NotDelegatedReason(string cgroupRoot, string own, int uid)
    {
        var ownDir = CgroupMount.Join(cgroupRoot, own);
        var service = $"/user.slice/user-{uid}.slice/user@{uid}.service";
        var serviceDir = CgroupMount.Join(cgroupRoot, service);
        if (IsDelegated(serviceDir, uid))
            return $"cgroup v2: {serviceDir} is delegated to uid {uid}, but PodShell runs in {own}, outside it, and " +
                "a process can only be moved into a delegated cgroup from inside it. Start pwsh under the user's " +
                "systemd, e.g. with 'systemd-run --user --scope pwsh', to enforce -Memory/-Cpus/-PidsLimit for " +
                "rootless containers.";
        return $"cgroup v2 without delegation: {ownDir} and its parents are not writable by uid {uid}, so " +
            "-Memory/-Cpus/-PidsLimit cannot be enforced for rootless containers. Delegation comes from systemd " +
            $"(user@{uid}.service with Delegate=) or from root chowning a cgroup to the user.";
    }
}
