using PodShell.Engine.Containers;
using PodShell.Engine.Runtime;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine;

/// <summary>The OCI bundle of a container: the /etc files it gets and config.json, composed from the
/// container record and the secure defaults.</summary>
public sealed partial class ContainerEngine
{
    private const string InitPath = "/run/podshell-init";

    private void WriteBundle(Container c, ContainerPaths paths)
    {
        AtomicWrite(paths.HostnameFile, c.Hostname + "\n");
        AtomicWrite(paths.HostsFile, EtcFiles.Hosts(c.Hostname));
        AtomicWrite(paths.ResolvConfFile, EtcFiles.ResolvConf());
        AtomicWrite(paths.ContainerEnvFile, $"engine=\"podshell\"\nname=\"{c.Name}\"\nid=\"{c.Id}\"\nimage=\"{c.Image}\"\nimageid=\"{c.ImageId}\"\n");
        var user = UserResolver.Resolve(MergedDir(c.Id), c.User);
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
            RootfsPath = MergedDir(c.Id),
            CgroupsPath = CgroupsPathFor(c.Id),
            HostnameFile = paths.HostnameFile,
            HostsFile = paths.HostsFile,
            ResolvConfFile = paths.ResolvConfFile,
            ContainerEnvFile = paths.ContainerEnvFile,
            NetworkMode = "none",
            Annotations = new Dictionary<string, string>
            {
                ["io.container.manager"] = "podshell",
                ["org.opencontainers.image.stopSignal"] = Signals.Parse(c.StopSignal).ToString(),
            },
        };
        if (c.Init && InitBinary() is { } init)
        {
            // As podman --init: catatonit is bind-mounted in and becomes PID 1, the command its child.
            spec.Args = new[] { InitPath, "--" }.Concat(c.Command).ToArray();
            spec.Mounts.Add(new SpecMount(InitPath, "bind", init, "bind", "ro", "rprivate", "nosuid", "nodev"));
        }
        spec.Mounts.AddRange(ResolveVolumeMounts(c.Id, c.Mounts, createMissing: true));
        AtomicWrite(paths.ConfigFile, OciSpecBuilder.Build(spec, HostFacts.Probe()));
    }
}
