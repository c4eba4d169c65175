using System.Collections.Concurrent;

namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>Issue 15 item 2: Remove-ContainerImage -Force racing New-Container from the same image. Each creator is
/// its own engine instance (its own store connections and locks), as another pwsh would be.</summary>
public sealed class ImageRemovalRaceTests : IClassFixture<EngineFixture>
{
    private readonly EngineFixture _fx;
    private ContainerEngine Engine => _fx.Engine;

    public ImageRemovalRaceTests(EngineFixture fx) => _fx = fx;

    private ContainerImage NewImage(string name)
    {
        // A layer of its own: busybox's layer would keep the removed image's layer alive.
        var rootfs = Path.Combine(_fx.Root, name + "-rootfs");
        EngineFixture.BuildBusybox(rootfs);
        File.WriteAllText(Path.Combine(rootfs, "etc", "race"), Guid.NewGuid().ToString());
        return Engine.ImportImage(rootfs, name + ":v1");
    }

    [MachineFact(Needs.Root)]
    public void PruneAll_ConfirmedWhileAContainerIsCreated_KeepsTheImage()
    {
        var image = NewImage("xunit-prune");
        string? createdId = null;
        Exception? createError = null;
        // The confirmation (ShouldProcess) takes its time, as a user would: meanwhile another process creates a
        // container from the image, after the prune listed the images no container uses.
        var pruned = Engine.PruneImages(all: true, confirm: i =>
        {
            if (i.Id != image.Id) return false;
            var creator = Task.Run(() =>
            {
                try { createdId = new ContainerEngine(Engine.Options).CreateContainer(new CreateOptions { Image = image.Id, Command = new[] { "true" } }).Id; }
                catch (Exception e) { createError = e; }
            });
            Assert.True(creator.Wait(TimeSpan.FromSeconds(60)), "the create did not finish");
            return true;
        });
        try
        {
            Assert.Null(createError);
            Assert.NotNull(createdId);
            Assert.DoesNotContain(pruned, i => i.Id == image.Id);
            var images = Engine.GetImages().Select(i => i.Id).ToHashSet();
            Assert.Contains(image.Id, images);
            Assert.DoesNotContain(Engine.Store.ListContainers(), r => !images.Contains(r.Container.ImageId));
            Engine.StartContainer(createdId!);
            Assert.Equal(0, Engine.WaitContainer(createdId!, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            if (createdId != null) try { Engine.RemoveContainer(createdId, force: true); } catch (PodShellException) { }
            try { Engine.RemoveImage(image.Id, force: true); } catch (PodShellException) { }
        }
    }

    [MachineFact(Needs.Root)]
    public void RemoveImageForce_RacingCreates_LeavesNoContainerOnAMissingImage()
    {
        var image = NewImage("xunit-race");

        var created = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var creators = Enumerable.Range(0, 3).Select(t => Task.Factory.StartNew(() =>
        {
            var engine = new ContainerEngine(Engine.Options);
            for (int i = 0; i < 30 && !timeout.IsCancellationRequested; i++)
            {
                try
                {
                    created.Enqueue(engine.CreateContainer(new CreateOptions
                    {
                        Image = image.Id, Name = $"race-{t}-{i}-{Guid.NewGuid():N}"[..24], Command = new[] { "sh", "-c", "test -f /etc/race" },
                    }).Id);
                }
                catch (PodShellException e)
                {
                    failures.Enqueue(e.ErrorId + ": " + e.Message);
                    if (e.ErrorId == "ImageNotFound") return;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        // Remove while creates are under way: some before, some during, some after.
        while (created.Count < 4 && !creators.All(c => c.IsCompleted)) Thread.Sleep(10);
        Exception? removal = null;
        try { Engine.RemoveImage(image.Id, force: true); }
        catch (Exception e) { removal = e; }
        Assert.True(Task.WaitAll(creators, TimeSpan.FromSeconds(120)), "the creators did not finish");

        Assert.True(created.Count >= 4, "the removal ran before any create: no race");
        Assert.Null(removal);
        Assert.All(failures, f => Assert.StartsWith("ImageNotFound", f));
        Assert.DoesNotContain(Engine.GetImages(), i => i.Id == image.Id);

        var images = Engine.GetImages().ToDictionary(i => i.Id);
        // No record may point at an image that is gone (the "sh: not found" containers of the issue).
        Assert.Empty(Engine.Store.ListContainers().Where(r => !images.ContainsKey(r.Container.ImageId)).Select(r => r.Container.Name));
        foreach (var c in Engine.GetContainers().Where(c => created.Contains(c.Id)))
        {
            foreach (var l in images[c.ImageId].Layers) Assert.True(Engine.Layers.Exists(l), $"layer {l} of {c.Name} is gone");
            Engine.StartContainer(c.Id);
            Assert.Equal(0, Engine.WaitContainer(c.Id, TimeSpan.FromSeconds(30)));
            Engine.RemoveContainer(c.Id, force: true);
        }
        foreach (var l in image.Layers) Assert.False(Engine.Layers.Exists(l), "the removed image's layer " + l + " is left");
        Assert.DoesNotContain(_fx.MountsUnderRoot(), m => created.Any(id => m.Contains(id)));
    }
}
