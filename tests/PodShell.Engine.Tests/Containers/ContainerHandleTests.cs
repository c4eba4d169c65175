using System.Diagnostics;
using PodShell.Engine.Containers;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Containers;

/// <summary>The one way a verb gets hold of a container (Containers/ContainerHandle.cs): resolved by name or id,
/// locked while the verb runs, written only by compare-and-set.</summary>
public sealed class ContainerHandleTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public ContainerHandleTests(EngineFixture fx) => _fx = fx;

    private Container NewContainer() => Engine.CreateContainer(new CreateOptions
    {
        Image = "busybox",
        Name = "handle-" + Guid.NewGuid().ToString("N")[..8],
        Network = "none",
        Command = new[] { "sleep", "1000" },
    });

    /// <summary>A stored record only (no layer, no mount): enough for resolving, which reads the store alone.</summary>
    private void InsertBare(string id, string name) => Engine.Store.InsertContainer(new ContainerRecord
    {
        Container = new Container { Id = id, Name = name, State = ContainerState.Created, Image = "busybox", ImageId = _fx.Image.Id },
    });

    private static int DeadPid()
    {
        using var p = Process.Start("/bin/sleep", "0")!;
        p.WaitForExit();
        return p.Id;
    }

    [MachineFact(Needs.Root)]
    public void Open_ByNameFullIdAndUniquePrefix_IsTheSameContainer()
    {
        var c = NewContainer();
        try
        {
            foreach (var key in new[] { c.Name, c.Id, c.Id[..12] })
            {
                using var h = Engine.OpenContainer(key);
                Assert.Equal(c.Id, h.Id);
                Assert.Equal(ContainerState.Created, h.Container.State);
            }
            // The verbs that took only a full id before take a name now, as Kill and Restart always did.
            Assert.Equal(ContainerState.Running, Engine.StartContainer(c.Name).State);
            Assert.Equal(ContainerState.Exited, Engine.StopContainer(c.Id[..10], timeoutSeconds: 0).State);
            Engine.RemoveContainer(c.Name, force: false);
            Assert.Null(Engine.Store.GetContainer(c.Id));
        }
        finally
        {
            if (Engine.Store.GetContainer(c.Id) != null) Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void Open_AnAmbiguousPrefix_IsRefusedAndALongerOneIsNot()
    {
        var stem = "feedface" + Guid.NewGuid().ToString("N")[..8];
        var a = stem + "0" + new string('a', 64 - stem.Length - 1);
        var b = stem + "1" + new string('b', 64 - stem.Length - 1);
        InsertBare(a, "ambig-a-" + stem);
        InsertBare(b, "ambig-b-" + stem);
        try
        {
            var e = Assert.Throws<PodShellException>(() => Engine.OpenContainer(stem).Dispose());
            Assert.Equal("AmbiguousContainerId", e.ErrorId);
            Assert.Equal("AmbiguousContainerId", Assert.Throws<PodShellException>(() => Engine.KillContainer(stem)).ErrorId);
            using var h = Engine.OpenContainer(stem + "1");
            Assert.Equal(b, h.Id);
            Assert.Equal("ContainerNotFound", Assert.Throws<PodShellException>(() => Engine.OpenContainer(stem + "2").Dispose()).ErrorId);
        }
        finally
        {
            Engine.Store.DeleteContainer(a);
            Engine.Store.DeleteContainer(b);
        }
    }

    [MachineFact(Needs.Root)]
    public void TheLockIsHeldWhileTheHandleIsOpen_AnotherVerbWaitsForIt()
    {
        var c = NewContainer();
        try
        {
            Task removing;
            using (var h = Engine.OpenContainer(c.Name))
            {
                removing = Task.Run(() => Engine.RemoveContainer(c.Name, force: true));
                Assert.False(removing.Wait(TimeSpan.FromMilliseconds(500)), "the remove ran while another verb held the container");
                Assert.NotNull(Engine.Store.GetContainer(c.Id));
            }
            Assert.True(removing.Wait(TimeSpan.FromSeconds(30)), "the remove did not go on once the handle was closed");
            Assert.Null(Engine.Store.GetContainer(c.Id));
        }
        finally
        {
            if (Engine.Store.GetContainer(c.Id) != null) Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void ACompareAndSetWrite_LosesToAConcurrentChange()
    {
        var c = NewContainer();
        try
        {
            using var h = Engine.OpenContainer(c.Id);
            // Another process changes the record without this lock (as a reader folding an exit does).
            var other = Engine.Store.GetContainer(c.Id)!;
            other.Container.State = ContainerState.Exited;
            other.Container.ExitCode = 3;
            Engine.Store.UpdateContainer(other);

            h.Container.State = ContainerState.Paused;
            h.Container.ExitCode = 99;
            Assert.False(h.TryUpdate(ContainerState.Created), "the write won over a change it did not see");
            var stored = Engine.Store.GetContainer(c.Id)!.Container;
            Assert.Equal(ContainerState.Exited, stored.State);
            Assert.Equal(3, stored.ExitCode);

            // Read again, the write goes through.
            Assert.NotNull(h.Refresh());
            Assert.Equal(ContainerState.Exited, h.Container.State);
            h.Container.ExitCode = 4;
            Assert.True(h.TryUpdate(ContainerState.Exited));
            Assert.Equal(4, Engine.Store.GetContainer(c.Id)!.Container.ExitCode);
        }
        finally
        {
            Engine.RemoveContainer(c.Id, force: true);
        }
    }

    [MachineFact(Needs.Root)]
    public void AReadLeavesTheRepairOfAKilledCreateToTheLockHolder()
    {
        var c = NewContainer();
        // The record a create killed half-way leaves: Creating, owned by a dead process.
        var r = Engine.Store.GetContainer(c.Id)!;
        r.Container.State = ContainerState.Creating;
        r.OwnerPid = DeadPid();
        r.OwnerStart = 1;
        Engine.Store.UpdateContainer(r);
        try
        {
            using (Engine.Services.Locks.Lock(c.Id))
            {
                // Someone holds the container: a list neither waits for it nor destroys what it works on.
                var sw = Stopwatch.StartNew();
                Assert.Contains(Engine.GetContainers(), x => x.Id == c.Id && x.State == ContainerState.Creating);
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"the list waited {sw.Elapsed} for the lock");
                Assert.True(Directory.Exists(Path.Combine(Engine.Layers.Root, c.Id)), "the layer went while the lock was held");
            }
            // Free again: the next read makes the repair.
            Assert.DoesNotContain(Engine.GetContainers(), x => x.Id == c.Id);
            Assert.Null(Engine.Store.GetContainer(c.Id));
            Assert.False(Directory.Exists(Path.Combine(Engine.Layers.Root, c.Id)), "the killed create's layer is left");
        }
        finally
        {
            if (Engine.Store.GetContainer(c.Id) != null) Engine.RemoveContainer(c.Id, force: true);
        }
    }
}
