namespace PodShell.Engine.Runtime;

/// <summary>Where one container's files live. Persistent files (config.json, the log) are under the
/// graph root; pid files, the exit file and generated /etc files are under the run root (tmpfs in
/// production, so a reboot clears them and the engine can tell).</summary>
public sealed class ContainerPaths
{
    public ContainerPaths(string graphRoot, string runRoot, string id)
    {
        BundleDir = Path.Combine(graphRoot, "containers", id);
        RunDir = Path.Combine(runRoot, "containers", id);
        ExitsDir = Path.Combine(runRoot, "exits");
        SocketDir = Path.Combine(runRoot, "socket");
        Id = id;
    }

    public string Id { get; }
    public string BundleDir { get; }
    public string RunDir { get; }
    public string ExitsDir { get; }
    public string SocketDir { get; }
    public string ConfigFile => Path.Combine(BundleDir, "config.json");
    public string LogFile => Path.Combine(BundleDir, "ctr.log");
    /// <summary>conmon writes an "oom" marker in the bundle (and persist) dir when the kernel OOM-kills.</summary>
    public string OomFile => Path.Combine(BundleDir, "oom");
    public string PidFile => Path.Combine(RunDir, "pidfile");
    public string ConmonPidFile => Path.Combine(RunDir, "conmon.pid");
    public string RuntimeLogFile => Path.Combine(RunDir, "oci-log");
    public string ExitFile => Path.Combine(ExitsDir, Id);
    public string HostnameFile => Path.Combine(RunDir, "hostname");
    public string HostsFile => Path.Combine(RunDir, "hosts");
    public string ResolvConfFile => Path.Combine(RunDir, "resolv.conf");
    public string ContainerEnvFile => Path.Combine(RunDir, ".containerenv");
}
