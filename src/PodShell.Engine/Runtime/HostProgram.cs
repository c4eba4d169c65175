namespace PodShell.Engine.Runtime;

/// <summary>A program on the host that the engine starts, found before it is started: a missing one is a
/// PodShellException that names the Debian package to install (as ConmonNotFound does), never an exec failure
/// deep inside another program's error ("exec: /usr/lib/podman/netavark: not found").</summary>
public static class HostProgram
{
    /// <summary>Where programs are looked for after PATH: the sbin directories (an ordinary user's PATH and a
    /// service's often lack them: runc and iptables are in /usr/sbin) and podman's helper directories (Debian
    /// puts netavark and aardvark-dns in /usr/lib/podman).</summary>
    public static readonly IReadOnlyList<string> StandardDirectories = new[]
    {
        "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
        "/usr/local/lib/podman", "/usr/lib/podman", "/usr/libexec/podman",
    };

    /// <summary>The first <paramref name="name"/> in <paramref name="directories"/> (PATH, then
    /// <see cref="StandardDirectories"/>, when null); an absolute path is taken as is if it exists.</summary>
    public static string? Find(string name, IEnumerable<string>? directories = null)
    {
        if (name.Contains('/')) return IsProgramFile(name) ? name : null;
        directories ??= SearchPath();
        foreach (var d in directories)
        {
            var p = Path.Combine(d, name);
            if (IsProgramFile(p)) return p;
        }
        return null;
    }

    /// <summary>A file, or a link that ends at one. Debian's /usr/bin/runc is a link to ../sbin/runc: with that gone, the
    /// link must not count as found, or the start fails with a bare "No such file" instead of RuntimeNotFound.</summary>
    internal static bool IsProgramFile(string path)
    {
        var fi = new FileInfo(path);
        if (fi.LinkTarget is null) return fi.Exists;
        try { return fi.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true }; }
        catch (IOException) { return false; } // a loop of links
    }

    /// <summary>PATH, then <see cref="StandardDirectories"/>.</summary>
    public static IEnumerable<string> SearchPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(StandardDirectories);

    /// <summary>The path of <paramref name="name"/>, or <see cref="NotFound"/>.</summary>
    public static string Require(string name, string package, string errorId, string neededFor, IEnumerable<string>? directories = null) =>
        Find(name, directories) ?? throw NotFound(name, package, errorId, neededFor);

    /// <summary>The error for a program that is not installed: what needs it and which package brings it.</summary>
    public static PodShellException NotFound(string name, string package, string errorId, string neededFor) =>
        new(errorId, FailureKind.NotSupported,
            $"{name} was not found on this host; {neededFor} needs it. Install the Debian package {package} " +
            $"(apt-get install {package}) or run build.ps1 Bootstrap as root.", name);
}
