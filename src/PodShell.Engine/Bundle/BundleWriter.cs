using PodShell.Engine.Containers;
using PodShell.Engine.IO;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Bundle;

/// <summary>The OCI bundle of a container: the /etc files it gets and config.json, composed from the container record,
/// the secure defaults and what the host mode, the network and the volumes say. Written at create, and again at a
/// start when the run root lost it (a reboot) or when the container joins another's namespaces.</summary>
internal sealed class BundleWriter
{
    private const string InitPath = "/run/podshell-init";
    private readonly EngineContext _ctx;
    private readonly ContainerRootfs _rootfs;
    private readonly IContainerNetworking _network;
    private readonly IContainerVolumes _volumes;

    public BundleWriter(EngineContext ctx, ContainerRootfs rootfs, IContainerNetworking network, IContainerVolumes volumes)
    {
        _ctx = ctx;
        _rootfs = rootfs;
        _network = network;
        _volumes = volumes;
    }

    /// <summary>catatonit, as Podman's --init uses it.</summary>
    internal static string? InitBinary() =>
        new[] { "/usr/bin/catatonit", "/usr/libexec/podman/catatonit", "/usr/local/bin/catatonit" }.FirstOrDefault(File.Exists);

    /// <summary>null = a private namespace, "host" = none in the spec, else the path to join.</summary>
    private string? SpecNamespace(string mode, string type) =>
        mode == "host" ? "host" : mode.StartsWith("container:") ? _network.SharedNamespacePath(mode, type) : null;

    public static bool SharesNamespaces(Container c) =>
        new[] { c.Network, c.PidMode, c.IpcMode, c.UtsMode }.Any(m => m.StartsWith("container:"));

    public void Write(Container c, ContainerPaths paths)
    {
        using var trace = Diagnostics.PhaseTrace.Begin(Diagnostics.PhaseTrace.Spec);
        AtomicFile.Write(paths.HostnameFile, c.Hostname + "\n");
        AtomicFile.Write(paths.HostsFile, EtcFiles.Hosts(c.Hostname));
        AtomicFile.Write(paths.ResolvConfFile, EtcFiles.ResolvConf());
        AtomicFile.Write(paths.ContainerEnvFile, $"engine=\"podshell\"\nname=\"{c.Name}\"\nid=\"{c.Id}\"\nimage=\"{c.Image}\"\nimageid=\"{c.ImageId}\"\n");
        var user = UserResolver.Resolve(_rootfs.UserFilesView(c.Id), c.User);
        var spec = new ContainerSpec
        {
            Uid = user.Uid,
            Gid = user.Gid,
            AdditionalGids = user.AdditionalGids,
            Id = c.Id,
            Name = c.Name,
            Hostname = c.Hostname,
            Args = c.Command,
            Env = c.Environment.Append("HOSTNAME=" + c.Hostname).ToArray(),
            Cwd = c.WorkingDirectory,
            MemoryMax = c.MemoryMax == long.MaxValue ? null : c.MemoryMax,
            Cpus = double.IsPositiveInfinity(c.Cpus) ? null : c.Cpus,
            PidsLimit = c.PidsMax == long.MaxValue ? 0 : c.PidsMax,
            RootfsPath = _ctx.MergedDir(c.Id),
            ReadOnlyRootfs = c.ReadOnly,
            CgroupsPath = _ctx.Host.CgroupsPathFor(c.Id),
            HostnameFile = paths.HostnameFile,
            HostsFile = paths.HostsFile,
            ResolvConfFile = paths.ResolvConfFile,
            ContainerEnvFile = paths.ContainerEnvFile,
            NetworkMode = _network.SpecNetworkMode(c),
            PidNamespacePath = SpecNamespace(c.PidMode, "pid"),
            IpcNamespacePath = SpecNamespace(c.IpcMode, "ipc"),
            UtsNamespacePath = SpecNamespace(c.UtsMode, "uts"),
            Annotations = new Dictionary<string, string>
            {
                ["io.container.manager"] = "podshell",
                ["org.opencontainers.image.stopSignal"] = Signals.Parse(c.StopSignal).ToString(),
            },
            CapAdd = c.CapAdd,
            CapDrop = c.CapDrop,
            Privileged = c.Privileged,
            NoNewPrivileges = c.SecurityOpt.Any(o => o is "no-new-privileges" or "no-new-privileges=true"),
            SeccompUnconfined = c.Seccomp == "unconfined",
            SeccompProfileJson = c.Seccomp.StartsWith('/') ? SecurityOptions.ReadSeccompProfile(c.Seccomp) : null,
            SeccompCompatAbis = c.Seccomp == "compat",
            Ulimits = c.Ulimits.Select(Ulimit.Parse).ToList(),
            ShmSize = c.ShmSize,
        };
        _ctx.Host.AdjustSpec(spec);
        if (c.Init && InitBinary() is { } init)
        {
            // As podman --init: catatonit is bind-mounted in and becomes PID 1, the command its child.
            spec.Args = new[] { InitPath, "--" }.Concat(c.Command).ToArray();
            spec.Mounts.Add(new SpecMount(InitPath, "bind", init, "bind", "ro", "rprivate", "nosuid", "nodev"));
        }
        spec.Mounts.AddRange(_volumes.ResolveMounts(c.Id, c.Mounts, createMissing: true));
        spec.Devices.AddRange(c.Devices.Select(DeviceRequest.Parse).Select(SecurityOptions.HostDevice));
        if (c.Privileged)
        {
            spec.Devices.AddRange(SecurityOptions.PrivilegedDevices().Where(d => !spec.Devices.Any(x => x.Path == d.Path)));
        }
        spec.Mounts.AddRange(c.Tmpfs.Select(TmpfsRequest.Parse));
        AtomicFile.Write(paths.ConfigFile, OciSpecBuilder.Build(spec, HostFacts.Probe()));
    }
}
