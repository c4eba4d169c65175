using System.Diagnostics;
using System.Net.Sockets;

namespace PodShell.Engine.Tests.Registry;

/// <summary>A real distribution registry (Debian's docker-registry) on 127.0.0.1 with filesystem storage
/// in a temp dir; optionally with htpasswd Basic auth. Dispose stops the process it started, by pid,
/// and removes the dir.</summary>
internal sealed class DockerRegistryProcess : IDisposable
{
    public const string Binary = "/usr/bin/docker-registry";
    private readonly Process _process;
    public string Dir { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string LogPath => Path.Combine(Dir, "registry.log");

    public DockerRegistryProcess(string? user = null, string? password = null)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: install the Debian packages docker-registry and apache2-utils (build.ps1 Bootstrap).");
        Dir = Directory.CreateTempSubdirectory("podshell-xunit-registry-").FullName;
        Port = FakeRegistry.FreePort();
        var auth = "";
        if (user != null)
        {
            var htpasswd = Run("/usr/bin/htpasswd", "-Bbn", user, password!);
            File.WriteAllText(Path.Combine(Dir, "htpasswd"), htpasswd);
            auth = $"auth:\n  htpasswd:\n    realm: podshell-test\n    path: {Dir}/htpasswd\n";
        }
        var config = $"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {Dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{Port}\n{auth}";
        File.WriteAllText(Path.Combine(Dir, "config.yml"), config);
        var psi = new ProcessStartInfo("/bin/sh", new[] { "-c", $"exec {Binary} serve {Dir}/config.yml >{LogPath} 2>&1" })
        { UseShellExecute = false, RedirectStandardInput = true };
        _process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Listening())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
                Dispose();
                throw new InvalidOperationException("docker-registry did not start: " + log);
            }
            Thread.Sleep(100);
        }
    }

    private bool Listening()
    {
        try
        {
            using var c = new TcpClient();
            c.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed with {p.ExitCode}");
        return output;
    }

    /// <summary>Lines of the registry's access log that fetched a blob with this digest.</summary>
    public int BlobGets(string digest) =>
        File.ReadAllLines(LogPath).Count(l => l.Contains("\"GET /v2/") && l.Contains("/blobs/" + digest));

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process?.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
