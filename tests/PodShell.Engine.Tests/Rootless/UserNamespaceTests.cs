using PodShell.Engine.Layers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Rootless;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Rootless;

/// <summary>UserNamespace as far as root can test it: without ranges, without a pause process, and with a
/// namespace the test makes itself (TestPauseProcess) in which host uid 4242 is root.</summary>
public sealed class UserNamespaceTests : IDisposable
{
    private const uint User = 4242;
    // A name and an id that no /etc/subuid line can be about.
    private const string NoRangesName = "podshell-xunit-no-ranges";
    private const uint NoRangesId = 3999999917;

    private readonly ScratchDir _dir = new();
    private readonly string _runRoot;

    public UserNamespaceTests()
    {
        // The namespace's root is host uid 4242: it must be able to reach the test's files.
        FileOwnership.LChown(_dir.Path, (int)User, (int)User);
        FileOwnership.Chmod(_dir.Path, 0x1ED);
        _runRoot = _dir.Combine("run");
        Directory.CreateDirectory(_runRoot);
    }

    public void Dispose() => _dir.Dispose();

    private string OwnedDir(params string[] parts)
    {
        var path = _dir.Combine(parts);
        Directory.CreateDirectory(path);
        FileOwnership.LChown(path, (int)User, (int)User);
        return path;
    }

    // ---- without a namespace ---------------------------------------------------------------------

    [MachineFact(Needs.Root)]
    public void Ranges_UserWithoutSubordinateIds_ThrowsSubordinateIdsMissing()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        var e = Assert.Throws<PodShellException>(() => ns.Ranges());
        Assert.Equal("SubordinateIdsMissing", e.ErrorId);
        Assert.Equal(FailureKind.PermissionDenied, e.Kind);
        Assert.Contains(NoRangesName, e.Message);
        Assert.Contains("/etc/subuid", e.Message);
        Assert.Contains("usermod --add-subuids", e.Message);
        Assert.Equal(NoRangesName, e.Target);
    }

    [MachineFact(Needs.Root)]
    public void Ranges_WithoutAUserName_NamesTheUid()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, null);
        var e = Assert.Throws<PodShellException>(() => ns.Ranges());
        Assert.Equal("SubordinateIdsMissing", e.ErrorId);
        Assert.Contains(NoRangesId.ToString(), e.Message);
        Assert.Equal(NoRangesId, e.Target);
    }

    [MachineFact(Needs.Root)]
    public void Properties_AreTheConstructorArguments()
    {
        var ns = new UserNamespace(_runRoot, 1001, 1002, "someone");
        Assert.Equal((1001u, 1002u, "someone"), (ns.Uid, ns.Gid, ns.UserName));
    }

    [MachineFact(Needs.Root)]
    public void WithoutAPauseProcess_NothingIsStarted_AndTheMountTableIsEmpty()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        Assert.False(ns.TryGetPausePid(out var pid));
        Assert.Equal(0, pid);
        Assert.Equal("/dev/null", ns.MountInfoPath);
        Assert.False(ns.IsMounted(_dir.Combine("merged")));
        ns.Unmount(_dir.Combine("merged"));
        // None of these may start a pause process (it would need ranges this user does not have, and throw).
        Assert.False(File.Exists(Path.Combine(_runRoot, "pause.pid")));
    }

    [MachineFact(Needs.Root)]
    public void TryGetPausePid_IgnoresStaleOrForeignPidFiles()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        var file = Path.Combine(_runRoot, "pause.pid");
        // Garbage.
        File.WriteAllText(file, "not a pid\n");
        Assert.False(ns.TryGetPausePid(out _));
        // A live process in this (the host's) user namespace is not a pause process.
        var (self, start) = ProcStat.Self();
        File.WriteAllText(file, $"{self} {start}\n");
        Assert.False(ns.TryGetPausePid(out _));
        // The right pid with a wrong start time: a reused pid.
        using var pause = new TestPauseProcess(_runRoot, User, User);
        File.WriteAllText(file, $"{pause.Pid} {ProcStat.StartTime(pause.Pid) + 1}\n");
        Assert.False(ns.TryGetPausePid(out _));
        Assert.Equal("/dev/null", ns.MountInfoPath);
    }

    [MachineFact(Needs.Root)]
    public void PausePid_WithoutRanges_ThrowsSubordinateIdsMissing_BeforeStartingAnything()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        var e = Assert.Throws<PodShellException>(() => ns.PausePid);
        Assert.Equal("SubordinateIdsMissing", e.ErrorId);
        Assert.False(File.Exists(Path.Combine(_runRoot, "pause.pid")));
    }

    [MachineFact(Needs.Root)]
    public void SetOwners_NothingToDo_NeedsNoRangesAndNoNamespace()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        ns.SetOwners(Array.Empty<DeferredOwner>());
        Assert.False(ns.TryGetPausePid(out _));
    }

    [MachineFact(Needs.Root)]
    public void RemoveTree_RemovesTreesAndFiles_AndIgnoresMissingPaths()
    {
        var ns = new UserNamespace(_runRoot, NoRangesId, NoRangesId, NoRangesName);
        var tree = _dir.Combine("tree");
        Directory.CreateDirectory(Path.Combine(tree, "a", "b"));
        File.WriteAllText(Path.Combine(tree, "a", "b", "f"), "x");
        File.CreateSymbolicLink(Path.Combine(tree, "out"), _runRoot);
        File.WriteAllText(Path.Combine(_runRoot, "keep"), "k");
        var file = _dir.Combine("file");
        File.WriteAllText(file, "");

        ns.RemoveTree(tree);
        ns.RemoveTree(file);
        ns.RemoveTree(_dir.Combine("missing"));

        Assert.Null(FileStatus.TryLStat(tree));
        Assert.Null(FileStatus.TryLStat(file));
        // The symlink was unlinked, not followed.
        Assert.Equal("k", File.ReadAllText(Path.Combine(_runRoot, "keep")));
    }

    // ---- with a namespace (made by the test) -------------------------------------------------------

    [MachineFact(Needs.Root)]
    public void WithAPauseProcess_ItIsFound_AndPathsPointIntoIt()
    {
        using var pause = new TestPauseProcess(_runRoot, User, User);
        var ns = new UserNamespace(_runRoot, User, User, NoRangesName);

        Assert.True(ns.TryGetPausePid(out var pid));
        Assert.Equal(pause.Pid, pid);
        // Found in pause.pid: no new one is started (which would need ranges and throw).
        Assert.Equal(pause.Pid, ns.PausePid);
        Assert.Equal($"/proc/{pause.Pid}/mountinfo", ns.MountInfoPath);
        Assert.Equal($"/proc/{pause.Pid}/root/srv/x/merged", ns.View("/srv/x/../x/./merged"));

        var (file, args) = ns.Wrap("/usr/bin/id", new[] { "-u" });
        Assert.EndsWith("/nsenter", file);
        Assert.Equal(new[] { "--target", pause.Pid.ToString(), "--user", "--mount", "--", "/usr/bin/id", "-u" }, args);
        Assert.Equal(new[] { file, "--target", pause.Pid.ToString(), "--user", "--mount", "--" }, ns.CommandPrefix());
    }

    [MachineFact(Needs.Root)]
    public void Run_RunsAsRootOfTheNamespace_WhichIsTheUserOutside()
    {
        using var pause = new TestPauseProcess(_runRoot, User, User);
        var ns = new UserNamespace(_runRoot, User, User, NoRangesName);
        var r = ns.Run("sh", new[] { "-c", "id -u; id -g; cat /proc/self/uid_map; touch \"$0\"", _dir.Combine("made-inside") });
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal("0", lines[1]);
        Assert.Equal(new[] { "0", "4242", "1" }, lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var st = FileStatus.TryLStat(_dir.Combine("made-inside"))!.Value;
        Assert.Equal(((int)User, (int)User), (st.Uid, st.Gid));
    }

    [MachineFact(Needs.Root)]
    public void MountOverlay_MountsInTheNamespaceOnly_ReadableThroughView_UnmountRemovesIt()
    {
        using var pause = new TestPauseProcess(_runRoot, User, User);
        var ns = new UserNamespace(_runRoot, User, User, NoRangesName);
        string lower = OwnedDir("lower"), upper = OwnedDir("upper"), work = OwnedDir("work"), merged = _dir.Combine("merged");
        File.WriteAllText(Path.Combine(lower, "f"), "from lower");

        ns.MountOverlay($"lowerdir={lower},upperdir={upper},workdir={work}", merged);
        try
        {
            Assert.True(ns.IsMounted(merged));
            Assert.False(OverlayMount.IsMounted(merged));
            Assert.Equal($"/proc/{pause.Pid}/mountinfo", ns.MountInfoPath);
            Assert.Equal("from lower", File.ReadAllText(ns.View(merged) + "/f"));
            Assert.False(File.Exists(Path.Combine(merged, "f")));
            Assert.Contains("userxattr", OverlayMount.Find(merged, ns.MountInfoPath)!.Options);

            // A file root writes inside lands in the upper dir, owned by the user on the host.
            Assert.Equal(0, ns.Run("sh", new[] { "-c", "echo new > \"$0\"/new", merged }).ExitCode);
            var st = FileStatus.TryLStat(Path.Combine(upper, "new"))!.Value;
            Assert.Equal(((int)User, (int)User), (st.Uid, st.Gid));
        }
        finally
        {
            ns.Unmount(merged);
        }
        Assert.False(ns.IsMounted(merged));
    }

    [MachineFact(Needs.Root)]
    public void UserOverlayOpaque_IsHonouredByARootlessMount_TrustedIsNot()
    {
        // Why the rootless unpacker writes user.overlay.opaque: a userxattr mount reads only user.overlay.*.
        using var pause = new TestPauseProcess(_runRoot, User, User);
        var ns = new UserNamespace(_runRoot, User, User, NoRangesName);
        string bottom = OwnedDir("bottom"), top = OwnedDir("top"), upper = OwnedDir("upper"), work = OwnedDir("work");
        foreach (var d in new[] { "user", "trusted" })
        {
            File.WriteAllText(OwnedDir("bottom", d) + "/old", "old");
            OwnedDir("top", d);
        }
        Xattr.Set(Path.Combine(top, "user"), "user.overlay.opaque", "y"u8.ToArray());
        Xattr.Set(Path.Combine(top, "trusted"), "trusted.overlay.opaque", "y"u8.ToArray());
        var merged = _dir.Combine("merged");

        ns.MountOverlay($"lowerdir={top}:{bottom},upperdir={upper},workdir={work}", merged);
        try
        {
            var view = ns.View(merged);
            Assert.False(File.Exists(view + "/user/old"));
            Assert.True(File.Exists(view + "/trusted/old"));
        }
        finally
        {
            ns.Unmount(merged);
        }
    }

    [MachineFact(Needs.Root)]
    public void SetOwners_ChownsToSubordinateIds_RestoresSetid_AndRefusesUnmappedIds()
    {
        // SetOwners reads the user's ranges from the real /etc/subuid and /etc/subgid (by name): borrow the
        // name of any user that has both. The namespace maps them as newuidmap would.
        // SetOwners reads the ranges from the real files by name: give a name of this test's own a range there
        // (removed again, exactly that line) so the test runs the same on every host.
        using var ranges = new TemporarySubordinateRange();
        var name = ranges.Name;
        var uids = SubordinateIds.Find(SubordinateIds.UidFile, name, uint.MaxValue)!;
        var gids = SubordinateIds.Find(SubordinateIds.GidFile, name, uint.MaxValue)!;
        using var pause = new TestPauseProcess(_runRoot, User, User, uids, gids);
        var ns = new UserNamespace(_runRoot, User, User, name);

        var root = OwnedDir("layer");
        string Owned(string rel, bool dir = false)
        {
            var p = Path.Combine(root, rel);
            if (dir) Directory.CreateDirectory(p); else File.WriteAllText(p, rel);
            FileOwnership.LChown(p, (int)User, (int)User);
            return p;
        }
        var plain = Owned("plain");
        var suid = Owned("suid");
        FileOwnership.Chmod(suid, 0xDED); // 06755
        var dir = Owned("dir", dir: true);
        var link = Path.Combine(root, "link");
        File.CreateSymbolicLink(link, "plain");
        FileOwnership.LChown(link, (int)User, (int)User);
        var beyond = Owned("beyond");

        ns.SetOwners(new[]
        {
            new DeferredOwner(plain, 1000, 1000, 0x1A4, false),
            new DeferredOwner(suid, 1000, 50, 0xDED, true),
            new DeferredOwner(dir, 33, 33, 0x1ED, false),
            new DeferredOwner(link, 7, 8, 0x1FF, false),
        });
        // An owner beyond the range is refused, as Podman does, rather than left to become root inside.
        var refused = Assert.Throws<PodShellException>(() => ns.SetOwners(new[] { new DeferredOwner(beyond, (int)uids.Count + 1, 1, 0x1A4, false) }));
        Assert.Equal("InsufficientSubordinateIds", refused.ErrorId);

        (int, int) Owner(string p) { var s = FileStatus.TryLStat(p)!.Value; return (s.Uid, s.Gid); }
        int U(long inside) => (int)SubordinateIds.HostId(inside, User, uids)!.Value;
        int G(long inside) => (int)SubordinateIds.HostId(inside, User, gids)!.Value;
        Assert.Equal((U(1000), G(1000)), Owner(plain));
        Assert.Equal((U(1000), G(50)), Owner(suid));
        Assert.Equal(0xDED, FileStatus.TryLStat(suid)!.Value.Permissions);
        Assert.Equal((U(33), G(33)), Owner(dir));
        Assert.Equal((U(7), G(8)), Owner(link));
        Assert.Equal((U(1000), G(1000)), Owner(plain)); // the symlink's target kept its own owner
        Assert.Equal(((int)User, (int)User), Owner(beyond));
        // The id lists were written under the run root and are gone again.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_runRoot, "tmp")));
    }

    /// <summary>A line "name:start:65536" added to /etc/subuid and /etc/subgid for the test and removed on Dispose.
    /// The range is far above real ones; the test writes the maps itself, so newuidmap never checks it.</summary>
    private sealed class TemporarySubordinateRange : IDisposable
    {
        public string Name { get; } = "psxu-" + Guid.NewGuid().ToString("N")[..8];
        private readonly string _line;

        public TemporarySubordinateRange()
        {
            _line = $"{Name}:2000000000:65536";
            foreach (var f in new[] { SubordinateIds.UidFile, SubordinateIds.GidFile })
            {
                var text = File.Exists(f) ? File.ReadAllText(f) : "";
                if (text.Length > 0 && !text.EndsWith('\n')) text += "\n";
                File.WriteAllText(f, text + _line + "\n");
            }
        }

        public void Dispose()
        {
            foreach (var f in new[] { SubordinateIds.UidFile, SubordinateIds.GidFile })
            {
                if (!File.Exists(f)) continue;
                var lines = File.ReadAllLines(f).Where(l => l != _line);
                File.WriteAllText(f, string.Concat(lines.Select(l => l + "\n")));
            }
        }
    }
}
