using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PodShell.Engine.Containers;

namespace PodShell.Engine.Tests.Containers;

public sealed class StateStoreTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    private string DbPath => _dir.Combine("state", "podshell.db");

    public void Dispose() => _dir.Dispose();

    private static string NewId() => Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant().PadRight(64, '0');

    private static ContainerRecord Record(string name, ContainerState state = ContainerState.Created, string? id = null) => new()
    {
        Container = new Container
        {
            Id = id ?? NewId(),
            Name = name,
            Image = "busybox:latest",
            ImageId = "img1",
            State = state,
            Command = new[] { "sleep", "infinity" },
            MemoryMax = 128L << 20,
            // A finite value: the unlimited default (+Infinity) is covered by its own test below.
            Cpus = 0.5,
            Labels = new() { ["tier"] = "web" },
        },
    };

    [Fact]
    public void InsertGetUpdateList_RoundTripsEveryField()
    {
        var store = new StateStore(DbPath);
        var a = Record("alpha");
        a.OwnerPid = 42;
        a.OwnerStart = 123456789012;
        a.ConmonPid = 77;
        a.PidStart = 987654321;
        store.InsertContainer(a);
        store.InsertContainer(Record("beta"));

        var got = store.GetContainer(a.Container.Id);
        Assert.NotNull(got);
        Assert.Equal("alpha", got!.Container.Name);
        Assert.Equal(ContainerState.Created, got.Container.State);
        Assert.Equal(new[] { "sleep", "infinity" }, got.Container.Command);
        Assert.Equal(128L << 20, got.Container.MemoryMax);
        Assert.Equal(0.5, got.Container.Cpus);
        Assert.Equal("web", got.Container.Labels["tier"]);
        Assert.Equal(42, got.OwnerPid);
        Assert.Equal(123456789012UL, got.OwnerStart);
        Assert.Equal(77, got.ConmonPid);
        Assert.Equal(987654321UL, got.PidStart);

        got.Container.State = ContainerState.Running;
        got.Container.Pid = 4242;
        got.Container.Name = "alpha2";
        store.UpdateContainer(got);
        var again = store.GetContainer(a.Container.Id)!;
        Assert.Equal(ContainerState.Running, again.Container.State);
        Assert.Equal(4242, again.Container.Pid);
        Assert.Equal("alpha2", again.Container.Name);

        // Insertion order is list order.
        Assert.Equal(new[] { "alpha2", "beta" }, store.ListContainers().Select(r => r.Container.Name));
        Assert.Equal(2, store.CountContainersUsingImage("img1"));
        Assert.Equal(0, store.CountContainersUsingImage("other"));

        store.DeleteContainer(a.Container.Id);
        Assert.Null(store.GetContainer(a.Container.Id));
        Assert.Single(store.ListContainers());
    }

    /// <summary>"No CPU limit" is +Infinity in the model (CreateContainer stores it for every container
    /// created without -Cpus); the store must keep it.</summary>
    [Fact]
    public void UnlimitedContainer_RoundTrips()
    {
        var store = new StateStore(DbPath);
        var r = Record("unlimited");
        r.Container.Cpus = double.PositiveInfinity;
        r.Container.MemoryMax = long.MaxValue;
        r.Container.PidsMax = long.MaxValue;
        store.InsertContainer(r);
        var got = store.GetContainer(r.Container.Id)!.Container;
        Assert.True(double.IsPositiveInfinity(got.Cpus));
        Assert.Equal(long.MaxValue, got.MemoryMax);
        Assert.Equal(long.MaxValue, got.PidsMax);
        Assert.Single(store.ListContainers());
    }

    [Fact]
    public void StateSurvivesANewStoreInstance()
    {
        var r = Record("persisted");
        new StateStore(DbPath).InsertContainer(r);
        var other = new StateStore(DbPath);
        Assert.Equal("persisted", other.GetContainer(r.Container.Id)!.Container.Name);
    }

    [Fact]
    public void GetContainer_UnknownId_IsNull()
    {
        var store = new StateStore(DbPath);
        Assert.Null(store.GetContainer("nope"));
        Assert.Empty(store.ListContainers());
    }

    [Fact]
    public void DuplicateName_ThrowsContainerNameInUse_AndKeepsTheFirst()
    {
        var store = new StateStore(DbPath);
        var first = Record("web");
        store.InsertContainer(first);
        var e = Assert.Throws<PodShellException>(() => store.InsertContainer(Record("web")));
        Assert.Equal("ContainerNameInUse", e.ErrorId);
        Assert.Equal(FailureKind.AlreadyExists, e.Kind);
        Assert.Equal("web", e.Target);
        var all = store.ListContainers();
        Assert.Single(all);
        Assert.Equal(first.Container.Id, all[0].Container.Id);
    }

    [Fact]
    public void RenamingOntoATakenName_IsRejectedByTheStore()
    {
        var store = new StateStore(DbPath);
        store.InsertContainer(Record("a"));
        var b = Record("b");
        store.InsertContainer(b);
        b.Container.Name = "a";
        Assert.ThrowsAny<Exception>(() => store.UpdateContainer(b));
        Assert.Equal("b", store.GetContainer(b.Container.Id)!.Container.Name);
    }

    [Fact]
    public void TryTransition_OnlyTheFirstCallerWins()
    {
        var store = new StateStore(DbPath);
        var r = Record("c1");
        store.InsertContainer(r);
        var from = new[] { ContainerState.Created, ContainerState.Exited };

        var won = store.TryTransition(r.Container.Id, from, ContainerState.Starting, 100, 5000);
        var lost = store.TryTransition(r.Container.Id, from, ContainerState.Starting, 200, 6000);

        Assert.NotNull(won);
        Assert.Equal(ContainerState.Starting, won!.Container.State);
        Assert.Null(lost);
        var stored = store.GetContainer(r.Container.Id)!;
        Assert.Equal(ContainerState.Starting, stored.Container.State);
        Assert.Equal(100, stored.OwnerPid);
        Assert.Equal(5000UL, stored.OwnerStart);
    }

    [Fact]
    public void TryTransition_UnknownContainer_IsNull()
    {
        var store = new StateStore(DbPath);
        Assert.Null(store.TryTransition("missing", new[] { ContainerState.Created }, ContainerState.Starting, 1, 1));
    }

    [Fact]
    public void TryTransition_ConcurrentStoresOnOneFile_ExactlyOneWinner()
    {
        var r = Record("race");
        new StateStore(DbPath).InsertContainer(r);
        var stores = Enumerable.Range(0, 4).Select(_ => new StateStore(DbPath)).ToArray();
        using var go = new Barrier(stores.Length);
        var results = new ContainerRecord?[stores.Length];
        var threads = stores.Select((s, i) => new Thread(() =>
        {
            go.SignalAndWait();
            results[i] = s.TryTransition(r.Container.Id, new[] { ContainerState.Created }, ContainerState.Starting, 1000 + i, 1);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var winners = results.Select((x, i) => (x, i)).Where(p => p.x != null).ToList();
        Assert.Single(winners);
        Assert.Equal(1000 + winners[0].i, new StateStore(DbPath).GetContainer(r.Container.Id)!.OwnerPid);
    }

    [Fact]
    public void UpdateContainerIf_WritesOnlyFromAnExpectedState()
    {
        var store = new StateStore(DbPath);
        var r = Record("u1", ContainerState.Running);
        store.InsertContainer(r);

        var exited = store.GetContainer(r.Container.Id)!;
        exited.Container.State = ContainerState.Exited;
        exited.Container.ExitCode = 3;
        Assert.True(store.UpdateContainerIf(exited, ContainerState.Running, ContainerState.Stopping));

        // A second process folding the same exit with stale data must not overwrite the result.
        var stale = Record("u1", ContainerState.Exited, r.Container.Id);
        stale.Container.ExitCode = 99;
        Assert.False(store.UpdateContainerIf(stale, ContainerState.Running, ContainerState.Stopping));

        var stored = store.GetContainer(r.Container.Id)!;
        Assert.Equal(ContainerState.Exited, stored.Container.State);
        Assert.Equal(3, stored.Container.ExitCode);

        Assert.False(store.UpdateContainerIf(Record("ghost"), ContainerState.Created));
        Assert.Null(store.GetContainer("ghost"));
    }

    private static ContainerImage Image(string id, string[] names, params string[] layers) => new()
    {
        Id = id,
        Names = names,
        Digest = "sha256:" + id,
        Created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        Layers = layers,
        Config = new ImageConfig { Cmd = new[] { "sh" } },
    };

    [Fact]
    public void Images_NamesMoveToTheNewestImage()
    {
        var store = new StateStore(DbPath);
        store.PutImage(Image("aaa", new[] { "app:latest", "app:1" }, "l1"));
        store.PutImage(Image("bbb", new[] { "app:latest", "app:2" }, "l2"));

        var images = store.ListImages();
        Assert.Equal(new[] { "aaa", "bbb" }, images.Select(i => i.Id));
        var a = images.Single(i => i.Id == "aaa");
        var b = images.Single(i => i.Id == "bbb");
        Assert.Equal(new[] { "app:1" }, a.Names);
        Assert.Equal(new[] { "app:latest", "app:2" }, b.Names);
        Assert.Equal(new[] { "sh" }, b.Config.Cmd);
        Assert.Equal(new[] { "l2" }, b.Layers);

        // The last name moves away: the image stays, untagged.
        store.PutImage(Image("bbb", new[] { "app:1" }));
        a = store.ListImages().Single(i => i.Id == "aaa");
        Assert.Empty(a.Names);
        Assert.Equal(a.Id[..3], a.Name);

        store.DeleteImage("bbb");
        Assert.Equal(new[] { "aaa" }, store.ListImages().Select(i => i.Id));
    }

    [Fact]
    public void Layers_PutGetAndUnreferenced()
    {
        var store = new StateStore(DbPath);
        store.PutLayer("l1", "sha256:d1", null, 10);
        store.PutLayer("l2", "sha256:d2", "l1", 20);
        store.PutLayer("l3", "sha256:d3", null, 30);
        store.PutLayer("l1", "sha256:changed", null, 99); // idempotent: the first write stays

        Assert.Equal(("sha256:d1", (string?)null, 10L), store.GetLayer("l1"));
        Assert.Equal(("sha256:d2", (string?)"l1", 20L), store.GetLayer("l2"));
        Assert.Null(store.GetLayer("nope"));

        store.PutImage(Image("i1", new[] { "one:latest" }, "l1", "l2"));
        store.PutImage(Image("i2", new[] { "two:latest" }, "l1"));
        Assert.Equal(new[] { "l3" }, store.UnreferencedLayers());

        store.DeleteImage("i1");
        Assert.Equal(new[] { "l2", "l3" }, store.UnreferencedLayers().OrderBy(x => x));
        store.DeleteImage("i2");
        Assert.Equal(new[] { "l1", "l2", "l3" }, store.UnreferencedLayers().OrderBy(x => x));

        store.DeleteLayer("l3");
        Assert.Null(store.GetLayer("l3"));
        Assert.Equal(new[] { "l1", "l2" }, store.UnreferencedLayers().OrderBy(x => x));
    }

    [Fact]
    public void FourStoresInsertingConcurrently_LoseNothing()
    {
        const int threads = 4, each = 25;
        new StateStore(DbPath); // schema exists before the race, as after the first pwsh
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        using var go = new Barrier(threads);
        var list = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var store = new StateStore(DbPath);
                go.SignalAndWait();
                for (int i = 0; i < each; i++) store.InsertContainer(Record($"t{t}-c{i}"));
            }
            catch (Exception e) { errors.Add(e); }
        })).ToList();
        list.ForEach(t => t.Start());
        list.ForEach(t => t.Join());

        Assert.Empty(errors);
        var names = new StateStore(DbPath).ListContainers().Select(r => r.Container.Name).ToList();
        Assert.Equal(threads * each, names.Count);
        Assert.Equal(threads * each, names.Distinct().Count());
    }

    [Fact]
    public void FourStoresCreatingTheStoreFileAtOnce_AllWork()
    {
        const int threads = 4;
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        using var go = new Barrier(threads);
        var list = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                go.SignalAndWait();
                new StateStore(DbPath).InsertContainer(Record($"first-{t}"));
            }
            catch (Exception e) { errors.Add(e); }
        })).ToList();
        list.ForEach(t => t.Start());
        list.ForEach(t => t.Join());
        Assert.Empty(errors);
        Assert.Equal(threads, new StateStore(DbPath).ListContainers().Count);
    }

    [Fact]
    public void FourStoresRacingForOneName_ExactlyOneWins()
    {
        const int threads = 4;
        new StateStore(DbPath);
        var outcomes = new string[threads];
        using var go = new Barrier(threads);
        var list = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var store = new StateStore(DbPath);
            go.SignalAndWait();
            try { store.InsertContainer(Record("contested")); outcomes[t] = "ok"; }
            catch (PodShellException e) { outcomes[t] = e.ErrorId; }
            catch (Exception e) { outcomes[t] = e.GetType().Name + ": " + e.Message; }
        })).ToList();
        list.ForEach(t => t.Start());
        list.ForEach(t => t.Join());

        Assert.Equal(1, outcomes.Count(o => o == "ok"));
        Assert.Equal(threads - 1, outcomes.Count(o => o == "ContainerNameInUse"));
        Assert.Single(new StateStore(DbPath).ListContainers());
    }

    /// <summary>A second process (the sqlite3 shell) holds the write lock with an uncommitted insert of
    /// the same name: our insert must wait for it, then lose cleanly with ContainerNameInUse.</summary>
    [Fact]
    public void AnotherProcessHoldingTheWriteLock_InsertWaitsThenSeesItsCommit()
    {
        var store = new StateStore(DbPath);
        var psi = new ProcessStartInfo("/usr/bin/sqlite3", DbPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        try
        {
            var otherId = NewId();
            p.StandardInput.WriteLine(".timeout 30000");
            p.StandardInput.WriteLine("BEGIN IMMEDIATE;");
            p.StandardInput.WriteLine($"INSERT INTO containers(id,name,state,image_id,data) VALUES('{otherId}','shared','Created','img1','{{\"config\":{{\"id\":\"{otherId}\",\"name\":\"shared\"}},\"state\":{{\"state\":\"Created\"}}}}');");
            p.StandardInput.WriteLine("SELECT 'locked';");
            p.StandardInput.Flush();
            Assert.Equal("locked", p.StandardOutput.ReadLine());

            Exception? thrown = null;
            var insert = new Thread(() =>
            {
                try { store.InsertContainer(Record("shared")); }
                catch (Exception e) { thrown = e; }
            });
            insert.Start();
            p.StandardInput.WriteLine("COMMIT;");
            p.StandardInput.WriteLine(".quit");
            p.StandardInput.Close();
            insert.Join();
            p.WaitForExit();

            var e = Assert.IsType<PodShellException>(thrown);
            Assert.Equal("ContainerNameInUse", e.ErrorId);
            var all = store.ListContainers();
            Assert.Single(all);
            Assert.Equal(otherId, all[0].Container.Id);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }
    /// <summary>The store's image JSON comes from compiled metadata (StoreJson); it must be byte for byte what the
    /// reflection-based serializer wrote before, or stores written by an older PodShell would not read back.
    /// Every settable property gets a non-default value, so a property added to the model later is covered too.
    /// (A container row is no longer the public Container: StoredContainerJsonTests and StoreMigrationTests.)</summary>
    [Fact]
    public void StoreJson_WritesAndReadsWhatTheReflectionSerializerDoes()
    {
        var reflection = new JsonSerializerOptions
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        var image = Fill(new ContainerImage());
        foreach (var value in new object[] { image, image.Config.Labels })
        {
            var type = value.GetType();
            var expected = JsonSerializer.Serialize(value, type, reflection);
            Assert.Equal(expected, JsonSerializer.Serialize(value, type, StateStore.Json));
            Assert.Equal(expected, JsonSerializer.Serialize(JsonSerializer.Deserialize(expected, type, StateStore.Json), type, reflection));
        }

        var store = new StateStore(DbPath);
        image.Names = new[] { "localhost/filled:latest" };
        store.PutImage(image);
        Assert.Equal(JsonSerializer.Serialize(image, reflection), JsonSerializer.Serialize(store.ListImages().Single(), reflection));
    }

    [Fact]
    public void InsertRequiringTheImage_AndDeletingTheImage_ExcludeEachOther()
    {
        var store = new StateStore(DbPath);
        store.PutImage(new ContainerImage { Id = "img1", Names = new[] { "localhost/busybox:latest" }, Digest = "sha256:img1" });
        var user = Record("user");
        store.InsertContainer(user, requireImage: true);

        // Without force: the users come back and the image stays.
        Assert.Equal(new[] { user.Container.Id }, store.DeleteImageTakingUsers("img1", force: false).Select(r => r.Container.Id));
        Assert.Single(store.ListImages());
        // With force: the same users, and the image is gone, so a later insert is refused and records nothing.
        Assert.Equal(new[] { user.Container.Id }, store.DeleteImageTakingUsers("img1", force: true).Select(r => r.Container.Id));
        Assert.Empty(store.ListImages());
        var late = Record("late");
        Assert.Equal("ImageNotFound", Assert.Throws<PodShellException>(() => store.InsertContainer(late, requireImage: true)).ErrorId);
        Assert.Null(store.GetContainer(late.Container.Id));
    }

    [Fact]
    public void ReleaseOwner_ClearsOnlyTheGivenOwner_AndAFoldKeepsTheStoredOwner()
    {
        var store = new StateStore(DbPath);
        var r = Record("held", ContainerState.Running);
        r.OwnerPid = 10;
        r.OwnerStart = 20;
        store.InsertContainer(r);
        Assert.False(store.ReleaseOwner(r.Container.Id, 10, 21));
        var stale = store.GetContainer(r.Container.Id)!;   // read by a fold before the release
        Assert.True(store.ReleaseOwner(r.Container.Id, 10, 20));
        stale.Container.State = ContainerState.Exited;
        Assert.True(store.UpdateContainerIf(stale, keepOwner: true, ContainerState.Running));
        var now = store.GetContainer(r.Container.Id)!;
        Assert.Equal((ContainerState.Exited, 0, 0UL), (now.Container.State, now.OwnerPid, now.OwnerStart));
    }

    private static T Fill<T>(T target) where T : notnull
    {
        int n = 0;
        foreach (var p in typeof(T).GetProperties().Where(p => p.CanWrite))
        {
            n++;
            var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            object value = t == typeof(string) ? $"{p.Name}-{n}"
                : t == typeof(string[]) ? new[] { p.Name, $"v{n}" }
                : t == typeof(int) ? 1000 + n
                : t == typeof(long) ? (1L << 40) + n
                : t == typeof(ulong) ? (ulong)n
                : t == typeof(double) ? n + 0.25
                : t == typeof(bool) ? true
                : t == typeof(DateTime) ? new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddSeconds(n)
                : t == typeof(Dictionary<string, string>) ? new Dictionary<string, string> { [p.Name] = $"v{n}", ["b"] = "c" }
                : t.IsEnum ? Enum.GetValues(t).GetValue(Enum.GetValues(t).Length - 1)!
                : t == typeof(ImageConfig) ? Fill(new ImageConfig())
                : throw new InvalidOperationException($"Fill: no test value for {typeof(T).Name}.{p.Name} ({t})");
            p.SetValue(target, value);
        }
        return target;
    }
}
