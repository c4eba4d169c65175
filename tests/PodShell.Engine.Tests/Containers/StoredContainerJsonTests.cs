using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using PodShell.Engine.Configuration;
using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Containers;

/// <summary>The stored form of a container is fixed by its JSON names, not by C# property names, and the public
/// <see cref="Container"/> is a lossless view of it.</summary>
public sealed class StoredContainerJsonTests
{
    private static Container Full() => new()
    {
        Id = new string('a', 64), Name = "web", Image = "busybox:latest", ImageId = new string('b', 64),
        State = ContainerState.Running, Pid = 4242, ExitCode = 137, OomKilled = true,
        Created = new DateTime(2026, 12, 6, 5, 0, 0, DateTimeKind.Utc),
        StartedAt = new DateTime(2026, 12, 6, 5, 0, 1, DateTimeKind.Utc), FinishedAt = new DateTime(2026, 12, 6, 5, 0, 2, DateTimeKind.Utc),
        Command = ["sleep", "600"], Entrypoint = ["/bin/sh", "-c"], Hostname = "web.example", WorkingDirectory = "/srv",
        User = "1000:1000", StopSignal = "SIGINT", Environment = ["PATH=/bin", "A=b"],
        MemoryMax = 64L << 20, Cpus = 1.5, PidsMax = 100, Network = "fixnet",
        Ports = ["127.0.0.1:8080:80/tcp", "9000-9001:9000-9001/udp", "[::1]:53:53/udp"],
        Mounts = ["vol:/data:ro", "/srv/x:/x:rw,rslave,nosuid"], Labels = new() { ["tier"] = "web" },
        Runtime = "runc", BundlePath = "/var/lib/podshell/containers/x", LayerId = new string('a', 64), LogSizeMax = 1L << 20,
        AutoRemove = true, Init = true, BootId = "boot-1",
        Capabilities = ["CAP_CHOWN"], CapAdd = ["CAP_NET_ADMIN"], CapDrop = ["CAP_MKNOD"],
        Privileged = true, Rootless = true, ReadOnly = true, SecurityOpt = ["no-new-privileges"], Seccomp = "unconfined",
        Ulimits = ["nofile=1024:2048", "core=-1:-1"], ShmSize = 128L << 20, Devices = ["/dev/fuse:/dev/fuse:rwm"],
        Tmpfs = ["/scratch:size=1m"], Networks = ["fixnet"], IPAddresses = ["10.89.0.2"],
        PidMode = "container:" + new string('c', 64), IpcMode = "host", UtsMode = "container:" + new string('d', 64),
    };

    private static string ViewJson(Container c) => JsonSerializer.Serialize(c, StoreFixtureWriter.ExpectedJson);

    [Fact]
    public void EveryPublicProperty_SurvivesTheStoredForm()
    {
        var c = Full();
        var back = ContainerProjection.ToContainer(JsonSerializer.Deserialize<StoredContainer>(
            StateStore.SerializeContainer(ContainerProjection.Split(c)), StateStore.Json)!);
        Assert.Equal(ViewJson(c), ViewJson(back));
        // Every settable property of the view is set by Full(), so a property the projection forgets shows above.
        var defaults = new Container();
        foreach (var p in typeof(Container).GetProperties().Where(p => p.CanWrite))
            Assert.NotEqual(JsonSerializer.Serialize(p.GetValue(defaults), StoreFixtureWriter.ExpectedJson), JsonSerializer.Serialize(p.GetValue(c), StoreFixtureWriter.ExpectedJson));
    }

    [Fact]
    public void NoLimits_AreNullInTheStoredForm_AndMaxValueInTheView()
    {
        var c = Full();
        c.MemoryMax = long.MaxValue; c.Cpus = double.PositiveInfinity; c.PidsMax = long.MaxValue; c.LogSizeMax = long.MaxValue;
        var stored = ContainerProjection.Split(c);
        Assert.Null(stored.Config.Resources.MemoryMax);
        Assert.Null(stored.Config.Resources.Cpus);
        Assert.Null(stored.Config.Resources.PidsMax);
        Assert.Null(stored.Config.LogSizeMax);
        Assert.Equal(ViewJson(c), ViewJson(ContainerProjection.ToContainer(stored)));
    }

    [Theory]
    [InlineData(typeof(StoredContainer))]
    [InlineData(typeof(ContainerConfig))]
    [InlineData(typeof(ContainerRuntimeState))]
    [InlineData(typeof(ContainerResources))]
    [InlineData(typeof(PodShell.Engine.Network.PortMapping))]
    [InlineData(typeof(VolumeMountSpec))]
    [InlineData(typeof(ContainerImage))]
    [InlineData(typeof(ImageConfig))]
    [InlineData(typeof(ContainerNetwork))]
    public void EveryStoredProperty_NamesItsJsonExplicitly(Type type)
    {
        var unnamed = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetIndexParameters().Length == 0)
            .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is null)
            .Where(p => !(type == typeof(ContainerImage) && p.Name == "Name")) // computed, written for readers only
            .Select(p => p.Name).ToList();
        Assert.Empty(unnamed);
    }

    /// <summary>The stored form, byte for byte. When this test fails, the store's format changed: that needs a
    /// migration (StoreMigrations) and a new schema version, not a new expected text here.</summary>
    [Fact]
    public void StoredForm_IsExactlyVersion1()
    {
        var json = StateStore.SerializeContainer(ContainerProjection.Split(Full()));
        const string expected = """{"config":{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","name":"web","image":"busybox:latest","imageId":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","created":"2026-12-06T05:00:00Z","command":["sleep","600"],"entrypoint":["/bin/sh","-c"],"hostname":"web.example","workingDirectory":"/srv","user":"1000:1000","stopSignal":"SIGINT","environment":["PATH=/bin","A=b"],"labels":{"tier":"web"},"runtime":"runc","bundlePath":"/var/lib/podshell/containers/x","layerId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","logSizeMax":1048576,"autoRemove":true,"init":true,"rootless":true,"resources":{"memoryMax":67108864,"cpus":1.5,"pidsMax":100,"shmSize":134217728},"privileged":true,"readOnly":true,"capabilities":["CAP_CHOWN"],"capAdd":["CAP_NET_ADMIN"],"capDrop":["CAP_MKNOD"],"securityOpt":["no-new-privileges"],"seccomp":"unconfined","ulimits":["nofile=1024:2048","core=-1:-1"],"devices":["/dev/fuse:/dev/fuse:rwm"],"tmpfs":["/scratch:size=1m"],"mounts":[{"spec":"vol:/data:ro","source":"vol","destination":"/data","isBind":false,"readOnly":true,"propagation":"rprivate","recursive":true,"flags":[]},{"spec":"/srv/x:/x:rw,rslave,nosuid","source":"/srv/x","destination":"/x","isBind":true,"readOnly":false,"propagation":"rslave","recursive":true,"flags":["nosuid"]}],"network":"fixnet","networks":["fixnet"],"ports":[{"hostIp":"127.0.0.1","hostPort":8080,"containerPort":80,"range":1,"protocol":"tcp"},{"hostIp":"","hostPort":9000,"containerPort":9000,"range":2,"protocol":"udp"},{"hostIp":"::1","hostPort":53,"containerPort":53,"range":1,"protocol":"udp"}],"pidMode":"container:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","ipcMode":"host","utsMode":"container:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"},"state":{"state":"Running","pid":4242,"exitCode":137,"oomKilled":true,"startedAt":"2026-12-06T05:00:01Z","finishedAt":"2026-12-06T05:00:02Z","bootId":"boot-1","ipAddresses":["10.89.0.2"]}}""";
        Assert.Equal(expected, json);
    }
}
