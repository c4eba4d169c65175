using System.Text.Json;
using Microsoft.Data.Sqlite;
using PodShell.Engine.Configuration;
using PodShell.Engine.Containers;
using PodShell.Engine.Network;

namespace PodShell.Engine.Tests.Containers;

/// <summary>Issue 16 item 3: a database written by the previous version opens, is migrated, and every object in it
/// reads back through the public types with the values it had; a newer database is refused; two processes opening
/// an old one at once migrate it once.</summary>
public sealed class StoreMigrationTests : IDisposable
{
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static string FixtureDir(string version) => Path.Combine(AppContext.BaseDirectory, "Containers", "Fixtures", version);

    /// <summary>A copy of the committed fixture: the original is never opened (opening migrates it).</summary>
    private string CopyOfFixture(string version)
    {
        var db = _dir.Combine(version, "podshell.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        File.Copy(Path.Combine(FixtureDir(version), "podshell.db"), db);
        return db;
    }

    private static StoreFixtureWriter.Expected Expected(string version) =>
        JsonSerializer.Deserialize<StoreFixtureWriter.Expected>(
            File.ReadAllText(Path.Combine(FixtureDir(version), "expected.json")), StoreFixtureWriter.ExpectedJson)!;

    // Every public property, by the same serializer on both sides: a value that changed shows in the diff.
    private static void AssertSame<T>(T expected, T actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected, StoreFixtureWriter.ExpectedJson), JsonSerializer.Serialize(actual, StoreFixtureWriter.ExpectedJson));

    private static int UserVersion(string db)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        return StoreSchema.ReadVersion(c, null);
    }

    private static List<StoredContainer> RawRows(StateStore store)
    {
        using var c = store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT data FROM containers ORDER BY rowid";
        using var rd = cmd.ExecuteReader();
        var list = new List<StoredContainer>();
        while (rd.Read()) list.Add(JsonSerializer.Deserialize<StoredContainer>(rd.GetString(0), StateStore.Json)!);
        return list;
    }

    [Fact]
    public void Version0Fixture_IsMigrated_AndEveryObjectReadsBackAsBefore()
    {
        var db = CopyOfFixture("v0");
        Assert.Equal(0, UserVersion(db));
        var expected = Expected("v0");
        var store = new StateStore(db);
        Assert.Equal(StoreSchema.Version, UserVersion(db));

        var containers = store.ListContainers();
        Assert.Equal(expected.Containers.Select(r => r.Container.Name), containers.Select(r => r.Container.Name));
        for (int i = 0; i < containers.Count; i++)
        {
            AssertSame(expected.Containers[i].Container, containers[i].Container);
            Assert.Equal(expected.Containers[i].OwnerPid, containers[i].OwnerPid);
            Assert.Equal(expected.Containers[i].OwnerStart, containers[i].OwnerStart);
            Assert.Equal(expected.Containers[i].ConmonPid, containers[i].ConmonPid);
            Assert.Equal(expected.Containers[i].PidStart, containers[i].PidStart);
        }
        var images = store.ListImages();
        Assert.Equal(expected.Images.Count, images.Count);
        for (int i = 0; i < images.Count; i++) AssertSame(expected.Images[i], images[i]);
        var volumes = new VolumeStore(store, expected.VolumeRoot).List();
        Assert.Equal(expected.Volumes.Count, volumes.Count);
        for (int i = 0; i < volumes.Count; i++) AssertSame(expected.Volumes[i], volumes[i]);
        var networks = new NetworkStore(store).List();
        Assert.Equal(expected.Networks.Count, networks.Count);
        for (int i = 0; i < networks.Count; i++) AssertSame(expected.Networks[i], networks[i]);
        AssertSame(expected.Layers, store.LayerIds().Select(id => store.GetLayer(id) is { } l ? new[] { id, l.DiffId, l.Parent ?? "", l.Size.ToString() } : new[] { id }).ToList());
    }

    [Fact]
    public void Version0Fixture_RowsBecomeTypedConfigurationAndState()
    {
        var store = new StateStore(CopyOfFixture("v0"));
        var rows = RawRows(store).ToDictionary(r => r.Config.Name);

        var web = rows["web"].Config;
        Assert.Equal(new PortMapping("127.0.0.1", 8080, 80, 1, "tcp"), web.Ports[0]);
        Assert.Equal(new PortMapping("", 9000, 9000, 2, "udp"), web.Ports[1]);
        Assert.Equal(("fixture-data", "/data", false, true), (web.Mounts[0].Source, web.Mounts[0].Destination, web.Mounts[0].IsBind, web.Mounts[0].ReadOnly));
        Assert.True(web.Mounts[1].IsBind);
        Assert.Equal("rslave", web.Mounts[1].Propagation);
        Assert.Equal(new[] { "nosuid" }, web.Mounts[1].Flags);
        Assert.Equal(("nofile", 1024UL, 2048UL), (web.Ulimits[0].Name, web.Ulimits[0].Soft, web.Ulimits[0].Hard));
        Assert.Equal(64L << 20, web.Resources.MemoryMax);
        Assert.Equal(0.5, web.Resources.Cpus);
        Assert.Equal(100, web.Resources.PidsMax);
        Assert.Equal(128L << 20, web.Resources.ShmSize);
        Assert.Equal(1L << 20, web.LogSizeMax);
        Assert.Equal(ContainerState.Created, rows["web"].State.State);

        Assert.Null(rows["runner"].Config.Resources.PidsMax); // -PidsLimit -1: no limit
        Assert.Null(rows["runner"].Config.Resources.Cpus);
        Assert.Equal(ContainerState.Running, rows["runner"].State.State);
        Assert.True(rows["runner"].State.Pid > 0);
        Assert.NotEqual("", rows["runner"].State.BootId);
        Assert.Equal(ContainerState.Exited, rows["done"].State.State);
        Assert.Equal(3, rows["done"].State.ExitCode);
        Assert.NotNull(rows["done"].State.FinishedAt);

        var runnerId = rows["runner"].Config.Id;
        Assert.Equal(new NamespaceMode(NamespaceModeKind.Container, runnerId), rows["sharer"].Config.PidMode);
        Assert.Equal(NamespaceMode.Host, rows["sharer"].Config.IpcMode);
        Assert.Equal(NamespaceMode.Private, rows["web"].Config.UtsMode);
        Assert.True(rows["rootless-one"].Config.Rootless);
    }

    [Fact]
    public void OpeningAgain_ChangesNothing()
    {
        var db = CopyOfFixture("v0");
        var first = new StateStore(db).ListContainers().Select(r => JsonSerializer.Serialize(r.Container, StoreFixtureWriter.ExpectedJson)).ToList();
        SqliteConnection.ClearAllPools();
        var again = new StateStore(db).ListContainers().Select(r => JsonSerializer.Serialize(r.Container, StoreFixtureWriter.ExpectedJson)).ToList();
        Assert.Equal(first, again);
        Assert.Equal(StoreSchema.Version, UserVersion(db));
    }

    [Fact]
    public void TwoOpenersAtOnce_MigrateOnce()
    {
        var db = CopyOfFixture("v0");
        var expected = Expected("v0");
        const int openers = 4;
        using var start = new Barrier(openers);
        var failures = new List<Exception>();
        var threads = Enumerable.Range(0, openers).Select(_ => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                // Each on a connection of its own: as separate processes would, they race for the write lock.
                var s = new StateStore(db);
                Assert.Equal(expected.Containers.Count, s.ListContainers().Count);
            }
            catch (Exception e) { lock (failures) failures.Add(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
        // Migrated twice, a row would have been read as version 0 JSON a second time and lost its values.
        var store = new StateStore(db);
        for (int i = 0; i < expected.Containers.Count; i++)
            AssertSame(expected.Containers[i].Container, store.ListContainers()[i].Container);
    }

    /// <summary>Another process (the sqlite3 shell) holds the write lock and migrates while this one opens the same
    /// version-0 file: the opener waits for the lock, sees the new version and runs no migration over the other's
    /// work (run again, migration 1 would read the migrated row as version 0 and lose its values).</summary>
    [Fact]
    public void AnotherProcessMigrating_TheOpenerWaits_AndDoesNotMigrateAgain()
    {
        var db = CopyOfFixture("v0");
        var webId = Expected("v0").Containers.Single(r => r.Container.Name == "web").Container.Id;
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/sqlite3", db)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            p.StandardInput.WriteLine(".timeout 30000");
            p.StandardInput.WriteLine("BEGIN IMMEDIATE;");
            p.StandardInput.WriteLine($"UPDATE containers SET data='{{\"config\":{{\"id\":\"{webId}\",\"name\":\"migrated-by-the-other\"}},\"state\":{{\"state\":\"Created\"}}}}' WHERE id='{webId}';");
            p.StandardInput.WriteLine("SELECT 'locked';");
            p.StandardInput.Flush();
            Assert.Equal("locked", p.StandardOutput.ReadLine());

            StateStore? opened = null;
            Exception? thrown = null;
            var opener = new Thread(() =>
            {
                try { opened = new StateStore(db); }
                catch (Exception e) { thrown = e; }
            });
            opener.Start();
            Assert.False(opener.Join(500), "the opener must wait for the other process's write lock");
            p.StandardInput.WriteLine($"PRAGMA user_version={StoreSchema.Version};");
            p.StandardInput.WriteLine("COMMIT;");
            p.StandardInput.WriteLine(".quit");
            p.StandardInput.Close();
            Assert.True(opener.Join(TimeSpan.FromSeconds(30)));
            p.WaitForExit();

            Assert.Null(thrown);
            Assert.Equal("migrated-by-the-other", opened!.GetContainer(webId)!.Container.Name);
            Assert.Equal(StoreSchema.Version, UserVersion(db));
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    [Fact]
    public void NewerSchema_IsRefusedWithStoreSchemaTooNew()
    {
        var db = _dir.Combine("new", "podshell.db");
        new StateStore(db);
        SqliteConnection.ClearAllPools();
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            StoreSchema.Execute(c, null, $"PRAGMA user_version={StoreSchema.Version + 1};");
        }
        var e = Assert.Throws<PodShellException>(() => new StateStore(db));
        Assert.Equal("StoreSchemaTooNew", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
        Assert.Contains($"version {StoreSchema.Version + 1}", e.Message);
        Assert.Equal(StoreSchema.Version + 1, UserVersion(db)); // left as it was
    }

    [Fact]
    public void NewStore_HasTheCurrentVersion_AndEveryTable()
    {
        var db = _dir.Combine("fresh", "podshell.db");
        var store = new StateStore(db);
        Assert.Equal(StoreSchema.Version, UserVersion(db));
        using var c = store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name";
        using var rd = cmd.ExecuteReader();
        var tables = new List<string>();
        while (rd.Read()) tables.Add(rd.GetString(0));
        Assert.Equal(new[] { "containers", "image_names", "images", "layers", "network_addresses", "networks", "volume_users", "volumes" }, tables);
    }

    [Fact]
    public void Migrations_AreInOrder_AndEndAtTheCurrentVersion()
    {
        Assert.Equal(Enumerable.Range(1, StoreSchema.Version), StoreMigrations.All.Select(m => m.To));
    }
}
