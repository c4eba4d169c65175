using PodShell.Engine.Network;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Configuration;

/// <summary>The public <see cref="Container"/> is a view: made from a container's configuration and runtime state
/// when a row is read, and taken apart again when the engine writes one back. The engine still changes the view
/// and writes it (the lifecycle code predates the split); this class is the one place that knows how each public
/// property maps onto the stored types.</summary>
public static class ContainerProjection
{
    public static Container ToContainer(ContainerConfig cfg, ContainerRuntimeState st) => new()
    {
        Id = cfg.Id,
        Name = cfg.Name,
        Image = cfg.Image,
        ImageId = cfg.ImageId,
        State = st.State,
        Pid = st.Pid,
        ExitCode = st.ExitCode,
        OomKilled = st.OomKilled,
        Created = cfg.Created,
        StartedAt = st.StartedAt,
        FinishedAt = st.FinishedAt,
        Command = cfg.Command,
        Entrypoint = cfg.Entrypoint,
        Hostname = cfg.Hostname,
        WorkingDirectory = cfg.WorkingDirectory,
        User = cfg.User,
        StopSignal = cfg.StopSignal,
        Environment = cfg.Environment,
        MemoryMax = cfg.Resources.MemoryMax ?? long.MaxValue,
        Cpus = cfg.Resources.Cpus ?? double.PositiveInfinity,
        PidsMax = cfg.Resources.PidsMax ?? long.MaxValue,
        ShmSize = cfg.Resources.ShmSize,
        Network = cfg.Network,
        Networks = cfg.Networks,
        Ports = cfg.Ports.Select(p => p.ToString()).ToArray(),
        Mounts = cfg.Mounts.Select(m => m.Spec).ToArray(),
        Labels = new Dictionary<string, string>(cfg.Labels),
        Runtime = cfg.Runtime,
        BundlePath = cfg.BundlePath,
        LayerId = cfg.LayerId,
        LogSizeMax = cfg.LogSizeMax ?? long.MaxValue,
        AutoRemove = cfg.AutoRemove,
        Init = cfg.Init,
        BootId = st.BootId,
        Capabilities = cfg.Capabilities,
        CapAdd = cfg.CapAdd,
        CapDrop = cfg.CapDrop,
        Privileged = cfg.Privileged,
        Rootless = cfg.Rootless,
        ReadOnly = cfg.ReadOnly,
        SecurityOpt = cfg.SecurityOpt,
        Seccomp = cfg.Seccomp,
        Ulimits = cfg.Ulimits.Select(u => u.ToString()).ToArray(),
        Devices = cfg.Devices,
        Tmpfs = cfg.Tmpfs,
        IPAddresses = st.IPAddresses,
        PidMode = cfg.PidMode.ToString(),
        IpcMode = cfg.IpcMode.ToString(),
        UtsMode = cfg.UtsMode.ToString(),
    };

    public static Container ToContainer(StoredContainer s) => ToContainer(s.Config, s.State);

    /// <summary>The configuration behind a view. Its strings were made by the parsers (New-Container) or by
    /// <see cref="ToContainer(ContainerConfig, ContainerRuntimeState)"/>, so they parse again.</summary>
    public static ContainerConfig ConfigOf(Container c) => new()
    {
        Id = c.Id,
        Name = c.Name,
        Image = c.Image,
        ImageId = c.ImageId,
        Created = c.Created,
        Command = c.Command,
        Entrypoint = c.Entrypoint,
        Hostname = c.Hostname,
        WorkingDirectory = c.WorkingDirectory,
        User = c.User,
        StopSignal = c.StopSignal,
        Environment = c.Environment,
        Labels = c.Labels,
        Runtime = c.Runtime,
        BundlePath = c.BundlePath,
        LayerId = c.LayerId,
        LogSizeMax = c.LogSizeMax == long.MaxValue ? null : c.LogSizeMax,
        AutoRemove = c.AutoRemove,
        Init = c.Init,
        Rootless = c.Rootless,
        Resources = new ContainerResources
        {
            MemoryMax = c.MemoryMax == long.MaxValue ? null : c.MemoryMax,
            Cpus = double.IsPositiveInfinity(c.Cpus) ? null : c.Cpus,
            PidsMax = c.PidsMax == long.MaxValue ? null : c.PidsMax,
            ShmSize = c.ShmSize,
        },
        Privileged = c.Privileged,
        ReadOnly = c.ReadOnly,
        Capabilities = c.Capabilities,
        CapAdd = c.CapAdd,
        CapDrop = c.CapDrop,
        SecurityOpt = c.SecurityOpt,
        Seccomp = c.Seccomp,
        Ulimits = c.Ulimits.Select(Ulimit.Parse).ToArray(),
        Devices = c.Devices,
        Tmpfs = c.Tmpfs,
        Mounts = c.Mounts.Select(MountOf).ToArray(),
        Network = c.Network,
        Networks = c.Networks,
        Ports = c.Ports.Select(PortMapping.Parse).ToArray(),
        PidMode = ModeOf(c.PidMode),
        IpcMode = ModeOf(c.IpcMode),
        UtsMode = ModeOf(c.UtsMode),
    };

    public static ContainerRuntimeState StateOf(Container c) => new()
    {
        State = c.State,
        Pid = c.Pid,
        ExitCode = c.ExitCode,
        OomKilled = c.OomKilled,
        StartedAt = c.StartedAt,
        FinishedAt = c.FinishedAt,
        BootId = c.BootId,
        IPAddresses = c.IPAddresses,
    };

    public static StoredContainer Split(Container c) => new() { Config = ConfigOf(c), State = StateOf(c) };

    /// <summary>A namespace mode as stored in the view; "container:&lt;id&gt;" was resolved at create.</summary>
    internal static NamespaceMode ModeOf(string text) =>
        text == "host" ? NamespaceMode.Host
        : text.StartsWith("container:", StringComparison.Ordinal) ? new NamespaceMode(NamespaceModeKind.Container, text["container:".Length..])
        : NamespaceMode.Private;

    /// <summary>A mount the parser of today refuses (one a looser, older rule accepted) is kept as its text, so
    /// that the row still reads and the container fails where it uses it, as before: at start.</summary>
    internal static VolumeMountSpec MountOf(string spec)
    {
        try { return VolumeMountSpec.Parse(spec); }
        catch (PodShellException) { return new VolumeMountSpec(spec, "", "", false, false, "", false, Array.Empty<string>()); }
    }
}
