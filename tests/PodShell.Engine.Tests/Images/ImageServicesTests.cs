using System.Reflection;
using PodShell.Engine.Containers;
using PodShell.Engine.Images;
using PodShell.Engine.IO;

namespace PodShell.Engine.Tests.Images;

/// <summary>The image services on an <see cref="EngineContext"/> alone, with no <see cref="ContainerEngine"/>: what a
/// user sees of import, resolve, tag and removal, and that a forced removal hands the image's containers to whoever
/// owns containers instead of calling up into the engine.</summary>
public sealed class ImageServicesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("podshell-xunit-imgsvc-").FullName;
    private readonly Lazy<Services> _svc;
    private readonly List<string> _handedOver = new();

    private sealed record Services(EngineContext Ctx, StoreSweeper Sweeper, ImageRegistrar Registrar, ImageService Images);

    public ImageServicesTests()
    {
        _svc = new Lazy<Services>(() =>
        {
            var ctx = new EngineContext(new EngineOptions(Path.Combine(_root, "graph"), Path.Combine(_root, "run"), "podshell-xunit-" + Guid.NewGuid().ToString("N")[..10]));
            var sweeper = new StoreSweeper(ctx);
            var gc = new GarbageCollector(ctx, sweeper);
            // The containers' owner: here it records the hand-over, and answers as if another process removed the
            // container first, which the removal must tolerate.
            var images = new ImageService(ctx, sweeper, gc, (id, _) =>
            {
                _handedOver.Add(id);
                throw new PodShellException("ContainerNotFound", FailureKind.NotFound, "gone", id);
            });
            return new Services(ctx, sweeper, new ImageRegistrar(ctx, sweeper), images);
        });
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Rootfs(string content)
    {
        var dir = Path.Combine(_root, "rootfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        File.WriteAllText(Path.Combine(dir, "etc", "marker"), content);
        return dir;
    }

    [MachineFact(Needs.Root)]
    public void ImportResolveTagAndRemove_WorkWithoutTheEngine()
    {
        var s = _svc.Value;
        var image = s.Registrar.ImportRootfs(Rootfs("one"), "svc-test:v1", null, null, CancellationToken.None);

        Assert.Equal("svc-test:v1", image.Name);
        Assert.Equal(image.Id, s.Images.Resolve("localhost/svc-test:v1").Id);
        Assert.Equal(image.Id, s.Images.Resolve("svc-test:v1").Id);
        Assert.Equal(image.Id, s.Images.Resolve(image.Id[..12]).Id);
        Assert.Contains($"PATH={ImageRegistrar.DefaultPath}", image.Config.Env);

        s.Images.Tag("svc-test:v1", "svc-test:other");
        var (_, removed) = s.Images.Remove("svc-test:v1", force: false, CancellationToken.None);
        Assert.False(removed);
        Assert.Equal(image.Id, s.Images.Resolve("svc-test:other").Id);

        (_, removed) = s.Images.Remove("svc-test:other", force: false, CancellationToken.None);
        Assert.True(removed);
        Assert.Equal("ImageNotFound", Assert.Throws<PodShellException>(() => s.Images.Resolve(image.Id)).ErrorId);
        Assert.False(s.Ctx.Layers.Exists(image.Layers[0]), "the image's only layer outlived it");
        Assert.Empty(_handedOver);
    }

    [MachineFact(Needs.Root)]
    public void ForcedRemoval_HandsEachUserToTheContainersOwner_AndWithoutForceRefuses()
    {
        var s = _svc.Value;
        var image = s.Registrar.ImportRootfs(Rootfs("two"), "svc-used:v1", null, null, CancellationToken.None);
        var user = new ContainerRecord { Container = new Container { Id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), Name = "svc-user", Image = image.Name, ImageId = image.Id } };
        s.Ctx.Store.InsertContainer(user, requireImage: true);

        var e = Assert.Throws<PodShellException>(() => s.Images.Remove("svc-used:v1", force: false, CancellationToken.None));
        Assert.Equal("ImageInUse", e.ErrorId);
        Assert.Equal(image.Id, s.Images.Resolve("svc-used:v1").Id);
        Assert.Empty(_handedOver);

        var (_, removed) = s.Images.Remove("svc-used:v1", force: true, CancellationToken.None);
        Assert.True(removed);
        Assert.Equal(new[] { user.Container.Id }, _handedOver);
        Assert.Empty(s.Images.List());
    }

    [MachineFact(Needs.Root)]
    public void Sweeper_RemovesABlobTempFileOfADeadWriter()
    {
        var s = _svc.Value;
        using var p = System.Diagnostics.Process.Start("true")!;
        p.WaitForExit();
        var tmp = Path.Combine(s.Ctx.Blobs.Root, "tmp");
        Directory.CreateDirectory(tmp);
        var left = Path.Combine(tmp, $"{p.Id}-pull-{Guid.NewGuid():N}");
        File.WriteAllText(left, "half a layer");

        s.Sweeper.SweepIfChanged(force: true);

        Assert.False(File.Exists(left), "the temp file of the dead writer is still there");
    }

    [Fact]
    public void DiskUsage_CountsRegularFiles_AndNotWhatALinkPointsAt()
    {
        var dir = Path.Combine(_root, "du");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllBytes(Path.Combine(dir, "a"), new byte[10]);
        File.WriteAllBytes(Path.Combine(dir, "sub", "b"), new byte[5]);
        File.CreateSymbolicLink(Path.Combine(dir, "usr"), "/usr");

        Assert.Equal(15, DiskUsage.Of(dir));
        Assert.Equal(0, DiskUsage.Of(Path.Combine(_root, "missing")));
    }

    /// <summary>Issue 16: nothing under Images/ holds or is handed the facade, so image code cannot call up into it.</summary>
    [Fact]
    public void NoImageType_TakesOrHoldsTheEngineFacade()
    {
        var offenders = typeof(ContainerEngine).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("PodShell.Engine.Images", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Select(f => (t, f.FieldType))
                .Concat(t.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).SelectMany(c => c.GetParameters()).Select(p => (t, p.ParameterType))))
            .Where(x => x.Item2 == typeof(ContainerEngine))
            .Select(x => x.t.FullName)
            .Distinct()
            .ToList();
        Assert.Empty(offenders);
    }
}
