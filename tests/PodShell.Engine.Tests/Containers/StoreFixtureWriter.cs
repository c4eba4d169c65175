using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using PodShell.Engine.Containers;
using PodShell.Engine.Network;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Containers;

/// <summary>Writes a store fixture: a real engine makes containers (ports, volumes, ulimits, limits, shared
/// namespaces, running and exited ones), images, layers, a volume and a network, and the resulting podshell.db is
/// copied out with an expected.json of what the public objects said about it at the time. The migration tests
/// open a copy of that file with the code of the day and compare. Run it only when the store format changes, with
/// the code that writes the format being retired:
/// PODSHELL_WRITE_STORE_FIXTURE=tests/PodShell.Engine.Tests/Containers/Fixtures/v0 dotnet test ... --filter StoreFixtureWriter</summary>
public sealed class StoreFixtureWriter
{
    public const string Variable = "PODSHELL_WRITE_STORE_FIXTURE";

    /// <summary>What expected.json holds: every object as the public API returned it.</summary>
    public sealed class Expected
    {
        public List<ContainerRecord> Containers { get; set; } = new();
        public List<ContainerImage> Images { get; set; } = new();
        public List<ContainerVolume> Volumes { get; set; } = new();
        public List<ContainerNetwork> Networks { get; set; } = new();
        public List<string[]> Layers { get; set; } = new();
        /// <summary>The volume root the store was made with (a volume's Mountpoint is derived from it).</summary>
        public string VolumeRoot { get; set; } = "";
    }

    public static readonly JsonSerializerOptions ExpectedJson = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    [WriterFact]
    public void WriteStoreFixture()
    {
        var outDir = Path.GetFullPath(Environment.GetEnvironmentVariable(Variable)!);
        Directory.CreateDirectory(outDir);
        using var fx = new EngineFixture();
        var e = fx.Engine;
        e.TagImage("busybox", "localhost/fixture/busybox:v1");
        e.CreateVolume("fixture-data", new Dictionary<string, string> { ["purpose"] = "fixture" });
        e.CreateNetwork("fixnet", subnet: "10.213.250.0/24", dns: false);
        var bindDir = Path.Combine(fx.Root, "bind-src");
        Directory.CreateDirectory(bindDir);

        var web = e.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = "web", Command = new[] { "sleep", "600" }, Hostname = "web.example",
            Network = "fixnet", Publish = new[] { "127.0.0.1:8080:80", "9000-9001:9000-9001/udp" },
            Volumes = new[] { "fixture-data:/data:ro", bindDir + ":/host:rw,rslave,nosuid" },
            Ulimits = new[] { "nofile=1024:2048", "nproc=512" },
            Memory = 64L << 20, Cpus = 0.5, PidsLimit = 100, ShmSize = 128L << 20, LogSizeMax = 1L << 20,
            Labels = new Dictionary<string, string> { ["tier"] = "web" },
            Environment = new Dictionary<string, string> { ["MODE"] = "fixture" },
            WorkingDirectory = "/tmp", User = "1000:1000", StopSignal = "SIGINT",
            Tmpfs = new[] { "/scratch:size=1m" }, CapAdd = new[] { "NET_ADMIN" }, CapDrop = new[] { "MKNOD" },
            SecurityOpt = new[] { "no-new-privileges" },
        });
        var runner = e.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = "runner", Command = new[] { "sleep", "600" }, Network = "none", Init = true,
            PidsLimit = -1,
        });
        e.StartContainer(runner.Id);
        var done = e.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = "done", Command = new[] { "sh", "-c", "exit 3" }, Network = "none", ReadOnly = true,
        });
        e.StartContainer(done.Id);
        e.WaitContainer(done.Id, TimeSpan.FromSeconds(30));
        e.CreateContainer(new CreateOptions
        {
            Image = "busybox", Name = "sharer", Command = new[] { "sleep", "600" },
            Network = "container:runner", Pid = "container:runner", Ipc = "host", Uts = "host", AutoRemove = true,
        });
        // A rootless engine needs a user with subordinate ids; the record such an engine writes differs from a
        // root one only in these two values, which are set here through the store as that engine would.
        var rl = e.CreateContainer(new CreateOptions { Image = "busybox", Name = "rootless-one", Command = new[] { "true" }, Network = "none" });
        var rec = e.Store.GetContainer(rl.Id)!;
        rec.Container.Rootless = true;
        rec.Container.Network = ContainerEngine.UserModeNetworkName;
        rec.Container.MemoryMax = long.MaxValue;
        rec.Container.Cpus = double.PositiveInfinity;
        rec.Container.PidsMax = long.MaxValue;
        e.Store.UpdateContainer(rec);

        var volumes = new VolumeStore(e.Store, e.Volumes.Root);
        var expected = new Expected
        {
            Containers = e.Store.ListContainers(),
            Images = e.Store.ListImages(),
            Volumes = volumes.List(),
            Networks = new NetworkStore(e.Store).List().ToList(),
            Layers = e.Store.LayerIds().Select(id => e.Store.GetLayer(id) is { } l ? new[] { id, l.DiffId, l.Parent ?? "", l.Size.ToString() } : new[] { id }).ToList(),
            VolumeRoot = e.Volumes.Root,
        };

        // One file, no -wal beside it: fold the log into the database first.
        SqliteConnection.ClearAllPools();
        using (var c = new SqliteConnection($"Data Source={e.Store.Path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        File.Copy(e.Store.Path, Path.Combine(outDir, "podshell.db"), overwrite: true);
        File.WriteAllText(Path.Combine(outDir, "expected.json"), JsonSerializer.Serialize(expected, ExpectedJson));
        e.StopContainer(runner.Id, 0);
    }

    private sealed class WriterFactAttribute : FactAttribute
    {
        public WriterFactAttribute()
        {
            if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 })
                Skip = $"writes a store fixture; set {Variable} to the directory to write it to";
            else if (Machine.Missing(Needs.Root) is { } why)
                Skip = why;
        }
    }
}
