using PodShell.Engine.Linux;
using PodShell.Engine.Rootless;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Rootless;

public sealed class RootlessPathsTests : IDisposable
{
    private const uint Uid = 4242;
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    // ---- GraphRoot -----------------------------------------------------------------------------

    [Fact]
    public void GraphRoot_UsesXdgDataHome()
    {
        Assert.Equal("/data/me/podshell", RootlessPaths.GraphRoot(Env(("XDG_DATA_HOME", "/data/me")), "/home/me"));
    }

    [Fact]
    public void GraphRoot_WithoutXdgDataHome_IsUnderHome()
    {
        Assert.Equal("/home/me/.local/share/podshell", RootlessPaths.GraphRoot(Env(), "/home/me"));
        Assert.Equal("/home/me/.local/share/podshell", RootlessPaths.GraphRoot(Env(("XDG_DATA_HOME", "")), "/home/me"));
        Assert.Equal("/home/me/.local/share/podshell", RootlessPaths.GraphRoot(Env(("XDG_DATA_HOME", "   ")), "/home/me"));
    }

    [Fact]
    public void GraphRoot_IgnoresARelativeXdgDataHome()
    {
        // The XDG base directory spec: a relative path is invalid and must be ignored.
        Assert.Equal("/home/me/.local/share/podshell", RootlessPaths.GraphRoot(Env(("XDG_DATA_HOME", "data")), "/home/me"));
    }

    // ---- RunRoot -------------------------------------------------------------------------------

    [MachineFact(Needs.Root)]
    public void RunRoot_UsesXdgRuntimeDir_Always()
    {
        var runUser = FixtureRunUser(owner: Uid);
        Assert.Equal("/run/user/4242/podshell", RootlessPaths.RunRoot(Env(("XDG_RUNTIME_DIR", "/run/user/4242")), Uid, runUser));
        Assert.Equal("/elsewhere/podshell", RootlessPaths.RunRoot(Env(("XDG_RUNTIME_DIR", "/elsewhere"), ("TMPDIR", "/var/tmp")), Uid, runUser));
    }

    [Fact]
    public void RunRoot_RelativeXdgRuntimeDir_IsIgnored()
    {
        var runUser = FixtureRunUser(owner: null);
        Assert.Equal("/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(("XDG_RUNTIME_DIR", "run")), Uid, runUser));
    }

    [MachineFact(Needs.Root)]
    public void RunRoot_WithoutXdg_UsesTheSessionDir_WhenTheUserOwnsIt()
    {
        var runUser = FixtureRunUser(owner: Uid);
        Assert.Equal(Path.Combine(runUser, "4242", "podshell"), RootlessPaths.RunRoot(Env(), Uid, runUser));
        Assert.Equal(Path.Combine(runUser, "4242", "podshell"), RootlessPaths.RunRoot(Env(("XDG_RUNTIME_DIR", " ")), Uid, runUser));
    }

    [MachineFact(Needs.Root)]
    public void RunRoot_WithoutXdg_SessionDirOfAnotherUid_FallsBackToTmp()
    {
        var runUser = FixtureRunUser(owner: 0);
        Assert.Equal("/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(), Uid, runUser));
        Assert.Equal("/var/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(("TMPDIR", "/var/tmp")), Uid, runUser));
    }

    [Fact]
    public void RunRoot_WithoutXdg_MissingSessionDir_FallsBackToTmpdir()
    {
        var runUser = FixtureRunUser(owner: null);
        Assert.Equal("/var/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(("TMPDIR", "/var/tmp")), Uid, runUser));
        Assert.Equal("/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(("TMPDIR", "relative")), Uid, runUser));
    }

    [MachineFact(Needs.Root)]
    public void RunRoot_SessionDirThatIsASymlinkOrFile_IsNotUsed()
    {
        var runUser = FixtureRunUser(owner: null);
        // A symlink owned by the user, to a directory the user owns: still not the session directory (lstat).
        var target = _dir.Combine("target");
        Directory.CreateDirectory(target);
        FileOwnership.LChown(target, (int)Uid, (int)Uid);
        var link = Path.Combine(runUser, "4242");
        File.CreateSymbolicLink(link, target);
        FileOwnership.LChown(link, (int)Uid, (int)Uid);
        Assert.Equal("/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(), Uid, runUser));

        File.Delete(link);
        File.WriteAllText(link, "");
        FileOwnership.LChown(link, (int)Uid, (int)Uid);
        Assert.Equal("/tmp/podshell-run-4242", RootlessPaths.RunRoot(Env(), Uid, runUser));
    }

    /// <summary>A stand-in for /run/user with a &lt;uid&gt; directory owned by <paramref name="owner"/> (none when null).</summary>
    private string FixtureRunUser(uint? owner)
    {
        var root = _dir.Combine("run-user-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        if (owner is { } o)
        {
            var session = Path.Combine(root, Uid.ToString());
            Directory.CreateDirectory(session);
            FileOwnership.LChown(session, (int)o, (int)o);
            Assert.Equal((int)o, FileStatus.TryLStat(session)!.Value.Uid);
        }
        return root;
    }

    // ---- EnsurePrivate -------------------------------------------------------------------------

    [Fact]
    public void EnsurePrivate_CreatesTheDirectoryAndItsParents_Mode0700()
    {
        var dir = _dir.Combine("a", "b", "podshell-run-0");
        RootlessPaths.EnsurePrivate(dir, ProcStat.EffectiveUid);
        var st = FileStatus.TryLStat(dir)!.Value;
        Assert.True(st.IsDirectory);
        Assert.Equal(0x1C0, st.Permissions);
        Assert.Equal((int)ProcStat.EffectiveUid, st.Uid);
    }

    [MachineFact(Needs.Root)]
    public void EnsurePrivate_AcceptsAnExistingDirectoryOfTheUid_AndLeavesItsContent()
    {
        var dir = _dir.Combine("mine");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep"), "x");
        FileOwnership.LChown(dir, (int)Uid, (int)Uid);
        RootlessPaths.EnsurePrivate(dir, Uid);
        Assert.Equal("x", File.ReadAllText(Path.Combine(dir, "keep")));
    }

    [MachineFact(Needs.Root)]
    public void EnsurePrivate_RefusesADirectoryOfAnotherUid()
    {
        var dir = _dir.Combine("planted");
        Directory.CreateDirectory(dir);
        FileOwnership.LChown(dir, 4343, 4343);
        var e = Assert.Throws<PodShellException>(() => RootlessPaths.EnsurePrivate(dir, Uid));
        Assert.Equal("RunRootNotSafe", e.ErrorId);
        Assert.Equal(FailureKind.PermissionDenied, e.Kind);
        Assert.Contains("4343", e.Message);
        Assert.Contains("XDG_RUNTIME_DIR", e.Message);
        Assert.Equal(dir, e.Target);
    }

    [MachineFact(Needs.Root)]
    public void EnsurePrivate_RefusesASymlink_EvenToTheUsersOwnDirectory()
    {
        var target = _dir.Combine("real");
        Directory.CreateDirectory(target);
        FileOwnership.LChown(target, (int)Uid, (int)Uid);
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);
        FileOwnership.LChown(link, (int)Uid, (int)Uid);
        var e = Assert.Throws<PodShellException>(() => RootlessPaths.EnsurePrivate(link, Uid));
        Assert.Equal("RunRootNotSafe", e.ErrorId);
        Assert.Contains("not a directory", e.Message);
    }

    [MachineFact(Needs.Root)]
    public void EnsurePrivate_RefusesAFile()
    {
        var file = _dir.Combine("file");
        File.WriteAllText(file, "");
        FileOwnership.LChown(file, (int)Uid, (int)Uid);
        var e = Assert.Throws<PodShellException>(() => RootlessPaths.EnsurePrivate(file, Uid));
        Assert.Equal("RunRootNotSafe", e.ErrorId);
        Assert.Contains("not a directory", e.Message);
    }
}
