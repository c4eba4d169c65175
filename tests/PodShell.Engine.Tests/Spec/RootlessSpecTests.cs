using System.Text.Json;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Tests.Spec;

/// <summary>IHostMode.AdjustSpec: what an ordinary user's runtime can mount differs only where the container does
/// not own the namespace (host network, host IPC) or has no cgroup of its own.</summary>
public class RootlessSpecTests
{
    private static readonly HostFacts Hybrid = new()
    {
        NofileSoft = 1024, NofileHard = 20000, NprocSoft = 96364, NprocHard = 96364,
        HasCapSysResource = false, CgroupV2Unified = false,
    };

    private static ContainerSpec Spec(bool rootless, string network = "none", string? ipc = null, string cgroupsPath = "/podshell/0123456789ab")
    {
        var spec = NewSpec(network, ipc, cgroupsPath);
        // What BundleWriter does: the host mode decides the mounts the runtime's privileges allow.
        PodShell.Engine.Hosting.IHostMode mode = rootless
            ? new PodShell.Engine.Hosting.RootlessHostMode(new PodShell.Engine.Rootless.UserNamespace(Path.GetTempPath(), 1000, 1000, "u"), PodShell.Engine.Cgroups.CgroupMode.V1)
            : new PodShell.Engine.Hosting.RootHostMode(new EngineOptions("/g", "/r", "podshell"), PodShell.Engine.Cgroups.CgroupMode.V1);
        mode.AdjustSpec(spec);
        return spec;
    }

    private static ContainerSpec NewSpec(string network, string? ipc, string cgroupsPath) => new()
    {
        Id = "0123456789ab",
        Name = "web",
        Hostname = "0123456789ab",
        Args = ["/bin/sh"],
        Env = ["PATH=/usr/bin:/bin"],
        RootfsPath = "/home/u/.local/share/podshell/overlay/abc/merged",
        CgroupsPath = cgroupsPath,
        NetworkMode = network,
        IpcNamespacePath = ipc,
    };

    private static JsonElement Build(ContainerSpec spec) =>
        JsonDocument.Parse(OciSpecBuilder.Build(spec, Hybrid)).RootElement.Clone();

    private static JsonElement[] Mounts(JsonElement root) => root.GetProperty("mounts").EnumerateArray().ToArray();

    private static JsonElement? Mount(JsonElement root, string destination) =>
        Mounts(root).Where(m => m.GetProperty("destination").GetString() == destination).Select(m => (JsonElement?)m).SingleOrDefault();

    private static (string Type, string Source, string[] Options) Describe(JsonElement m) =>
        (m.GetProperty("type").GetString()!, m.GetProperty("source").GetString()!,
         m.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray());

    [Fact]
    public void HostNetwork_BindsTheHostsSys_ReadOnly()
    {
        var sys = Describe(Mount(Build(Spec(rootless: true, network: "host")), "/sys")!.Value);
        Assert.Equal("bind", sys.Type);
        Assert.Equal("/sys", sys.Source);
        Assert.Contains("rbind", sys.Options);
        Assert.Contains("ro", sys.Options);
        Assert.DoesNotContain("rw", sys.Options);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("ns:/run/user/1000/podshell/netns/abc")]
    public void OwnNetwork_MountsSysfs(string network)
    {
        var sys = Describe(Mount(Build(Spec(rootless: true, network: network)), "/sys")!.Value);
        Assert.Equal(("sysfs", "sysfs"), (sys.Type, sys.Source));
    }

    [Fact]
    public void HostIpc_BindsTheHostsMqueue()
    {
        var mq = Describe(Mount(Build(Spec(rootless: true, ipc: "host")), "/dev/mqueue")!.Value);
        Assert.Equal(("bind", "/dev/mqueue"), (mq.Type, mq.Source));
        Assert.Contains("bind", mq.Options);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("/proc/4242/ns/ipc")]
    public void OwnOrJoinedIpc_MountsMqueue(string? ipc)
    {
        var mq = Describe(Mount(Build(Spec(rootless: true, ipc: ipc)), "/dev/mqueue")!.Value);
        Assert.Equal(("mqueue", "mqueue"), (mq.Type, mq.Source));
    }

    [Fact]
    public void WithoutACgroupsPath_NoCgroupTreeIsMounted()
    {
        var root = Build(Spec(rootless: true, cgroupsPath: ""));
        Assert.Null(Mount(root, "/sys/fs/cgroup"));
        Assert.False(root.GetProperty("linux").TryGetProperty("cgroupsPath", out _));
    }

    [Fact]
    public void WithADelegatedCgroup_TheCgroupTreeIsMounted()
    {
        var root = Build(Spec(rootless: true, cgroupsPath: "/user.slice/user-1000.slice/user@1000.service/podshell/0123456789ab"));
        Assert.Equal("cgroup", Describe(Mount(root, "/sys/fs/cgroup")!.Value).Type);
        Assert.Equal("/user.slice/user-1000.slice/user@1000.service/podshell/0123456789ab",
            root.GetProperty("linux").GetProperty("cgroupsPath").GetString());
    }

    [Theory]
    [InlineData("host", "host", "")]
    [InlineData("none", null, "/podshell/x")]
    [InlineData("host", "host", "/podshell/x")]
    public void RootfulSpecs_AreUnchanged(string network, string? ipc, string cgroupsPath)
    {
        var rootful = Build(Spec(rootless: false, network: network, ipc: ipc, cgroupsPath: cgroupsPath));
        var sys = Describe(Mount(rootful, "/sys")!.Value);
        var mq = Describe(Mount(rootful, "/dev/mqueue")!.Value);
        Assert.Equal(("sysfs", "sysfs"), (sys.Type, sys.Source));
        Assert.Equal(("mqueue", "mqueue"), (mq.Type, mq.Source));
        Assert.NotNull(Mount(rootful, "/sys/fs/cgroup"));
    }

    [Fact]
    public void RootlessAndRootful_DifferOnlyInThoseMounts()
    {
        // Everything else (process, namespaces, masked paths, the other mounts) is the same document.
        static JsonElement Without(JsonElement root, params string[] destinations)
        {
            var copy = JsonSerializer.SerializeToNode(root)!.AsObject();
            var mounts = copy["mounts"]!.AsArray();
            foreach (var m in mounts.Where(m => destinations.Contains((string)m!["destination"]!)).ToList()) mounts.Remove(m);
            return JsonSerializer.SerializeToElement(copy);
        }
        var rootless = Without(Build(Spec(rootless: true, network: "host", ipc: "host", cgroupsPath: "")), "/sys", "/dev/mqueue");
        var rootful = Without(Build(Spec(rootless: false, network: "host", ipc: "host", cgroupsPath: "")), "/sys", "/dev/mqueue", "/sys/fs/cgroup");
        Assert.Equal(rootful.GetRawText(), rootless.GetRawText());
    }

    [Fact]
    public void MountOrder_IsKept_SysAndMqueueWhereTheyWere()
    {
        static string[] Destinations(JsonElement root) => Mounts(root).Select(m => m.GetProperty("destination").GetString()!).ToArray();
        var rootless = Destinations(Build(Spec(rootless: true, network: "host", ipc: "host")));
        var rootful = Destinations(Build(Spec(rootless: false, network: "host", ipc: "host")));
        Assert.Equal(rootful, rootless);
    }
}
