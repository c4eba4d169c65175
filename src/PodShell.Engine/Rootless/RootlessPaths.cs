using System.Globalization;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Rootless;

/// <summary>Where an ordinary user's engine keeps its state, as Podman chooses it (pkg/util GetRuntimeDir,
/// storage's rootless defaults): data under XDG_DATA_HOME, volatile files under XDG_RUNTIME_DIR.</summary>
public static class RootlessPaths
{
    /// <summary>$XDG_DATA_HOME/podshell, else ~/.local/share/podshell.</summary>
    public static string GraphRoot(Func<string, string?> env, string home)
    {
        var data = env("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(data) || !Path.IsPathRooted(data)) data = Path.Combine(home, ".local", "share");
        return Path.Combine(data, "podshell");
    }

    /// <summary>$XDG_RUNTIME_DIR/podshell; else /run/user/&lt;uid&gt;/podshell when that directory is the user's (a
    /// login session without the variable); else $TMPDIR/podshell-run-&lt;uid&gt;. The last one is shared space:
    /// <see cref="EnsurePrivate"/> refuses it when someone else made it first.</summary>
    public static string RunRoot(Func<string, string?> env, uint uid, string runUserRoot = "/run/user")
    {
        var xdg = env("XDG_RUNTIME_DIR");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "podshell");
        var session = Path.Combine(runUserRoot, uid.ToString(CultureInfo.InvariantCulture));
        if (FileStatus.TryLStat(session) is { IsDirectory: true } st && (uint)st.Uid == uid) return Path.Combine(session, "podshell");
        var tmp = env("TMPDIR");
        if (string.IsNullOrWhiteSpace(tmp) || !Path.IsPathRooted(tmp)) tmp = "/tmp";
        return Path.Combine(tmp, "podshell-run-" + uid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Creates <paramref name="dir"/> with mode 0700, or checks that an existing one belongs to
    /// <paramref name="uid"/> and is not a symlink: in /tmp anyone could have made it first to read or plant files.</summary>
    public static void EnsurePrivate(string dir, uint uid)
    {
        if (FileStatus.TryLStat(dir) is not { } st)
        {
            Directory.CreateDirectory(dir);
            FileOwnership.Chmod(dir, 0x1C0); // 0700
            st = FileStatus.TryLStat(dir) ?? throw Unsafe(dir, "it could not be created");
        }
        if (!st.IsDirectory) throw Unsafe(dir, "it is not a directory");
        if ((uint)st.Uid != uid) throw Unsafe(dir, $"it belongs to uid {st.Uid}, not {uid}");
    }

    private static PodShellException Unsafe(string dir, string why) =>
        new(ErrorIds.RunRootNotSafe, FailureKind.PermissionDenied,
            $"The run root '{dir}' cannot be used: {why}. Set XDG_RUNTIME_DIR (or PODSHELL_RUNROOT) to a directory of your own.", dir);
}
