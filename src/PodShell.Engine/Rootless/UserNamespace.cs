using System.Globalization;
using System.Text;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Runtime;

namespace PodShell.Engine.Rootless;

/// <summary>The user and mount namespace an ordinary user's containers live in, kept alive by a pause process
/// (Podman's design, design.md, Upstream U7). The .NET process cannot enter it: setns into a user or mount
/// namespace is refused to a multi-threaded process. So everything that must happen inside (overlay mounts,
/// the OCI runtime, conmon, chown to subordinate ids) is a short-lived program started through nsenter, which
/// is single-threaded and begins its life in the namespaces. Reads go through /proc/&lt;pause&gt;/root.</summary>
public sealed class UserNamespace : IUserNamespaceFiles
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly string _runRoot;
    private readonly object _gate = new();
    private int _pid;
    private ulong _start;

    public uint Uid { get; }
    public uint Gid { get; }
    public string? UserName { get; }

    public UserNamespace(string runRoot, uint uid, uint gid, string? userName)
    {
        _runRoot = runRoot;
        Uid = uid;
        Gid = gid;
        UserName = userName;
    }

    /// <summary>The user's subordinate ranges; "SubordinateIdsMissing" when /etc/subuid or /etc/subgid has none.</summary>
    public (SubordinateRange Uids, SubordinateRange Gids) Ranges()
    {
        var u = SubordinateIds.Find(SubordinateIds.UidFile, UserName, Uid);
        var g = SubordinateIds.Find(SubordinateIds.GidFile, UserName, Gid);
        if (u is null || g is null)
            throw new PodShellException(ErrorIds.SubordinateIdsMissing, FailureKind.PermissionDenied,
                $"Rootless containers need subordinate ids for '{UserName ?? Uid.ToString(CultureInfo.InvariantCulture)}' in {(u is null ? SubordinateIds.UidFile : SubordinateIds.GidFile)} " +
                $"(e.g. 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {UserName ?? "<user>"}').", UserName ?? (object)Uid);
        return (u, g);
    }

    private string PidFile => Path.Combine(_runRoot, "pause.pid");

    /// <summary>The pause process, started (and its id maps written) when there is none.</summary>
    public int PausePid
    {
        get
        {
            lock (_gate)
            {
                if (_pid > 0 && ProcStat.IsAlive(_pid, _start)) return _pid;
                using var _ = FileLock.Acquire(Path.Combine(_runRoot, "pause.lock"), LockTimeout);
                if (ReadPidFile() is { } known && ProcStat.IsAlive(known.Pid, known.Start) && InOtherUserNamespace(known.Pid))
                {
                    (_pid, _start) = known;
                    return _pid;
                }
                (_pid, _start) = StartPause();
                IO.AtomicFile.Write(PidFile, $"{_pid} {_start}\n");
                return _pid;
            }
        }
    }

    /// <summary>True when a pause process is alive now; never starts one (for read-only questions).</summary>
    public bool TryGetPausePid(out int pid)
    {
        lock (_gate)
        {
            if (_pid > 0 && ProcStat.IsAlive(_pid, _start)) { pid = _pid; return true; }
            if (ReadPidFile() is { } known && ProcStat.IsAlive(known.Pid, known.Start) && InOtherUserNamespace(known.Pid))
            {
                (_pid, _start) = known;
                pid = _pid;
                return true;
            }
        }
        pid = 0;
        return false;
    }

    private (int Pid, ulong Start)? ReadPidFile()
    {
        try
        {
            var parts = File.ReadAllText(PidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
                return (pid, start);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static bool InOtherUserNamespace(int pid)
    {
        var mine = Namespaces.NamespaceInspector.ReadInode("/proc/self/ns/user", "user");
        var its = Namespaces.NamespaceInspector.ReadInode($"/proc/{pid}/ns/user", "user");
        return its is not null && its != mine;
    }

    private (int Pid, ulong Start) StartPause()
    {
        var (uids, gids) = Ranges();
        string newuidmap = Tool("newuidmap", "uidmap"), newgidmap = Tool("newgidmap", "uidmap");
        string unshare = Tool("unshare", "util-linux");
        // catatonit -P only pauses; sleep is the fallback where catatonit is not installed.
        var pause = OciRuntime.FindExecutable("catatonit") is { } cat ? new[] { cat, "-P" } : new[] { Tool("sleep", "coreutils"), "infinity" };
        var args = new List<string> { "--user", "--mount", "--propagation", "private", "--" };
        args.AddRange(pause);
        int pid = PosixSpawn.Spawn(unshare, args, new[] { "PATH=" + Images.ImageRegistrar.DefaultPath }, Array.Empty<(int, int)>(), newSession: true);
        try
        {
            // The maps can only be written once unshare(2) has run in the child: until then its user namespace is ours.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!InOtherUserNamespace(pid))
            {
                if (!ProcStat.IsAlive(pid, 0) || DateTime.UtcNow > deadline)
                    throw Failed("the pause process did not enter a new user namespace (are unprivileged user namespaces disabled? see sysctl user.max_user_namespaces)");
                Thread.Sleep(2);
            }
            Map(newuidmap, SubordinateIds.MapArguments(pid, Uid, uids));
            Map(newgidmap, SubordinateIds.MapArguments(pid, Gid, gids));
            return (pid, ProcStat.StartTime(pid));
        }
        catch
        {
            ProcStat.Signal(pid, 9);
            PosixSpawn.Wait(pid);
            throw;
        }
    }

    private static void Map(string tool, string[] args)
    {
        var r = ProcessRunner.Run(tool, args, TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0)
            throw Failed($"{Path.GetFileName(tool)} {string.Join(' ', args)} failed: {r.Stderr.Trim()}");
    }

    private static string Tool(string name, string package) =>
        OciRuntime.FindExecutable(name) ?? throw new PodShellException(ErrorIds.RootlessToolNotFound, FailureKind.NotSupported,
            $"Rootless containers need '{name}' (apt-get install {package}).", name);

    private static PodShellException Failed(string why) =>
        new(ErrorIds.UserNamespaceFailed, FailureKind.RuntimeFailed, "Could not set up the rootless user namespace: " + why, "pause");

    // ---- running programs inside ---------------------------------------------------------------

    /// <summary>The command line that runs <paramref name="file"/> as root of the namespace, in its mount namespace.
    /// nsenter without --preserve-credentials switches to uid/gid 0 there.</summary>
    public (string File, List<string> Args) Wrap(string file, IEnumerable<string> args)
    {
        var list = new List<string> { "--target", PausePid.ToString(CultureInfo.InvariantCulture), "--user", "--mount", "--", file };
        list.AddRange(args);
        return (NsenterPath, list);
    }

    /// <summary>The words that put a command inside (for programs that take a command prefix).</summary>
    public IReadOnlyList<string> CommandPrefix() =>
        new[] { NsenterPath, "--target", PausePid.ToString(CultureInfo.InvariantCulture), "--user", "--mount", "--" };

    private string? _nsenter;
    private string NsenterPath => _nsenter ??= Tool("nsenter", "util-linux");

    internal ProcessRunner.Result Run(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var (f, a) = Wrap(file, args);
        return ProcessRunner.Run(f, a, timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>The pause process's view of the mount table: the container mounts are only there.</summary>
    /// Without a pause process there is no namespace and so no mount in it: an empty table, and none is started.
    public string MountInfoPath => TryGetPausePid(out var pid) ? $"/proc/{pid}/mountinfo" : "/dev/null";

    /// <summary>A path as the namespace sees it, readable from here (a mount made inside is empty from outside).</summary>
    public string View(string path) => $"/proc/{PausePid}/root" + Path.GetFullPath(path);

    /// <summary>Native overlay with user.* xattrs (kernel >= 5.11 in a user namespace); fuse-overlayfs where the kernel
    /// refuses that, or when PODSHELL_ROOTLESS_OVERLAY=fuse-overlayfs.</summary>
    public void MountOverlay(string data, string target)
    {
        Directory.CreateDirectory(target);
        bool fuse = Environment.GetEnvironmentVariable("PODSHELL_ROOTLESS_OVERLAY") == "fuse-overlayfs";
        string error = "";
        if (!fuse)
        {
            var r = Run("mount", new[] { "-t", "overlay", "-o", data + ",userxattr", "overlay", target });
            if (r.ExitCode == 0) return;
            error = r.Stderr.Trim();
        }
        var fo = OciRuntime.FindExecutable("fuse-overlayfs");
        if (fo is null)
            throw new PodShellException(ErrorIds.OverlayMountFailed, FailureKind.NotSupported,
                $"The kernel refused a rootless overlay mount ({error}) and fuse-overlayfs is not installed (apt-get install fuse-overlayfs).", target);
        var f = Run(fo, new[] { "-o", data, target });
        if (f.ExitCode != 0)
            throw new PodShellException(ErrorIds.OverlayMountFailed, FailureKind.RuntimeFailed,
                $"mount overlay on '{target}' failed: {(error.Length > 0 ? error + "; " : "")}fuse-overlayfs: {f.Stderr.Trim()}", target);
    }

    public void Unmount(string target)
    {
        if (!TryGetPausePid(out _)) return; // the namespace and its mounts are gone with the pause process
        for (int i = 0; i < 3 && Overlay.OverlayMount.IsMounted(target, MountInfoPath); i++)
        {
            var r = Run("umount", new[] { target });
            if (r.ExitCode != 0 && Overlay.OverlayMount.IsMounted(target, MountInfoPath))
            {
                Thread.Sleep(50 << i);
                if (i == 2) Run("umount", new[] { "-l", target });
            }
        }
    }

    /// <summary>True for a fuse-overlayfs mount: the kernel lets only processes inside the user namespace use it.</summary>
    public bool IsFuseMount(string target) =>
        TryGetPausePid(out var pid) && Overlay.MountInfo.Read($"/proc/{pid}/mountinfo").Any(m => m.MountPoint == target && m.FsType.StartsWith("fuse", StringComparison.Ordinal));

    /// <summary>Copies files of a fuse-mounted root filesystem out through a program inside (missing ones are skipped).</summary>
    public void CopyOut(string rootfs, IEnumerable<string> pathsInside, string destinationRoot)
    {
        foreach (var p in pathsInside)
        {
            var r = Run("cat", new[] { "--", rootfs + p });
            if (r.ExitCode != 0) continue;
            var dest = destinationRoot + p;
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.WriteAllText(dest, r.Stdout);
        }
    }

    public bool IsMounted(string target) => TryGetPausePid(out _) && Overlay.OverlayMount.IsMounted(target, MountInfoPath);

    // ---- files owned by subordinate ids ------------------------------------------------------------

    /// <summary>Host ids as the namespace sees them: the user is 0, its range 1..count, anything else the
    /// kernel's overflow id 65534 (what a process inside sees for an unmapped owner).</summary>
    // The user cannot give files away, create device nodes, or set attributes outside user.*; its overlay mounts
    // use userxattr.
    public bool DefersOwnership => true;
    public bool CreatesDeviceNodes => false;
    public bool UserXattrsOnly => true;

    public OwnerMap InsideOwners
    {
        get
        {
            var (uids, gids) = Ranges();
            return new OwnerMap(h => SubordinateIds.InsideId(h, Uid, uids), h => SubordinateIds.InsideId(h, Gid, gids));
        }
    }

    /// <summary>Owner changes the user cannot make itself: chown to ids of the namespace, done by its root, in one
    /// program run for the whole layer. chown clears setuid/setgid, so those modes are set again after it.</summary>
    public void SetOwners(IReadOnlyList<DeferredOwner> entries)
    {
        if (entries.Count == 0) return;
        var (uids, gids) = Ranges();
        // As Podman: an owner the namespace cannot map would silently become root inside; refuse instead.
        if (entries.FirstOrDefault(e => e.Uid > uids.Count || e.Gid > gids.Count) is { Path: not null } beyond)
            throw new PodShellException(ErrorIds.InsufficientSubordinateIds, FailureKind.InvalidArgument,
                $"The image has a file owned by {beyond.Uid}:{beyond.Gid}, beyond the user's {uids.Count} subordinate uids and {gids.Count} gids " +
                $"in {SubordinateIds.UidFile} and {SubordinateIds.GidFile}. Give the user a larger range.", beyond.Path);
        var dir = Path.Combine(_runRoot, "tmp", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var script = new StringBuilder("set -e\n");
            int n = 0;
            foreach (var group in entries.GroupBy(e => (e.Uid, e.Gid)))
            {
                var list = Path.Combine(dir, "owners" + n++);
                File.WriteAllBytes(list, NulList(group.Select(e => e.Path)));
                script.Append(CultureInfo.InvariantCulture, $"xargs -0 -r -a '{list}' chown -h -- {group.Key.Uid}:{group.Key.Gid}\n");
            }
            foreach (var group in entries.Where(e => e.RestoreMode).GroupBy(e => e.Mode & 0xFFF))
            {
                var list = Path.Combine(dir, "modes" + n++);
                File.WriteAllBytes(list, NulList(group.Select(e => e.Path)));
                script.Append(CultureInfo.InvariantCulture, $"xargs -0 -r -a '{list}' chmod -- {Convert.ToString(group.Key, 8)}\n");
            }
            var r = Run("sh", new[] { "-c", script.ToString() }, TimeSpan.FromMinutes(10));
            if (r.ExitCode != 0)
                throw new PodShellException(ErrorIds.LayerOwnershipFailed, FailureKind.RuntimeFailed,
                    $"Setting file owners inside the user namespace failed: {r.Stderr.Trim()}", entries[0].Path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The paths as bytes (IO.FileName), NUL-separated for xargs -0: a name that is not UTF-8 must reach chown as it is.
    private static byte[] NulList(IEnumerable<string> paths)
        => paths.SelectMany(p => IO.FileName.Encode(p).Append((byte)0)).ToArray();

    /// <summary>Deletes a tree that may hold files of subordinate ids (not deletable by the user itself).</summary>
    public void RemoveTree(string path)
    {
        if (FileStatus.TryLStat(path) is null) return;
        try
        {
            if (FileStatus.TryLStat(path) is { IsDirectory: true }) Directory.Delete(path, recursive: true);
            else File.Delete(path);
            return;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { }
        var r = Run("rm", new[] { "-rf", "--", path });
        if (r.ExitCode != 0 || FileStatus.TryLStat(path) is not null)
            throw new PodShellException(ErrorIds.RemoveFailed, FailureKind.PermissionDenied, $"Could not remove '{path}': {r.Stderr.Trim()}", path);
    }
}
