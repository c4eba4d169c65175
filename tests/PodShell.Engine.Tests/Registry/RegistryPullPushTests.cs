using PodShell.Engine.Images.Registry;
using PodShell.Engine.Tests.Containers;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Registry;

/// <summary>Collects reports synchronously, on the thread that made them.</summary>
internal sealed class ProgressLog : IProgress<TransferProgress>
{
    public List<TransferProgress> Reports { get; } = new();
    public HashSet<int> Threads { get; } = new();
    public void Report(TransferProgress value) { Reports.Add(value); Threads.Add(Environment.CurrentManagedThreadId); }
    /// <summary>Blobs (by index) that moved bytes.</summary>
    public int[] Transferred => Reports.Where(r => r.Phase == TransferPhase.Done).Select(r => r.Index).Distinct().ToArray();
}

/// <summary>An engine on fresh private roots, for the receiving side of a pull.</summary>
internal sealed class BareEngine : IDisposable
{
    private readonly ScratchDir _dir = new();
    public ContainerEngine Engine { get; }
    public BareEngine() => Engine = new ContainerEngine(new EngineOptions(_dir.Combine("graph"), _dir.Combine("run"), "podshell-xunit-unused"));
    public string[] BlobFiles => Directory.GetFiles(Path.Combine(Engine.Blobs.Root, "sha256")).Select(Path.GetFileName).ToArray()!;
    public string[] TempFiles => Directory.GetFiles(Path.Combine(Engine.Blobs.Root, "tmp"));
    public string[] LayerDirs => Directory.GetDirectories(Engine.Layers.Root).Select(Path.GetFileName).Where(n => n!.Length == 64).ToArray()!;
    public void Dispose() => _dir.Dispose();
}

public sealed class FakeRegistryPullTests
{
    private static readonly PullOptions Anonymous = new();

    [MachineFact(Needs.Root)]
    public void Pull_ThroughTheBearerTokenFlow_RegistersTheImageUnderItsQualifiedName()
    {
        using var reg = new FakeRegistry { RequireBearer = true, TokenCredentials = ("user", "secret") };
        var img = reg.AddImage("team/app", "1", "amd64", "amd64 inside");
        using var e = new BareEngine();
        var log = new ProgressLog();

        var image = e.Engine.PullImage($"{reg.Host}/team/app:1",
            new PullOptions { Credentials = new RegistryCredentials("user", "secret") }, log);

        Assert.Equal(new[] { $"{reg.Host}/team/app:1" }, image.Names);
        Assert.Equal(img.ManifestDigest, image.Digest);
        Assert.Equal(img.ConfigDigest[7..], image.Id);
        Assert.Equal(new[] { "/bin/sh" }, image.Config.Cmd);
        Assert.Equal("amd64 inside", File.ReadAllText(Path.Combine(e.Engine.Layers.Get(image.Layers[0]).DiffDir, "etc/arch")));
        Assert.True(reg.CountRequests("GET /token") >= 1);
        Assert.Equal(new[] { Environment.CurrentManagedThreadId }, log.Threads);
        Assert.Equal(image.Id, e.Engine.ResolveImage($"{reg.Host}/team/app:1").Id);
    }

    [Fact]
    public void Pull_WithWrongOrMissingTokenCredentials_IsRegistryAuthenticationFailed()
    {
        using var reg = new FakeRegistry { RequireBearer = true, TokenCredentials = ("user", "secret") };
        reg.AddImage("app", "1", "amd64", "x");
        using var e = new BareEngine();
        foreach (var creds in new[] { new RegistryCredentials("user", "wrong"), null })
        {
            var ex = Assert.Throws<PodShellException>(() => e.Engine.PullImage($"{reg.Host}/app:1", new PullOptions { Credentials = creds }));
            Assert.Equal("RegistryAuthenticationFailed", ex.ErrorId);
        }
        Assert.Empty(e.Engine.GetImages());
    }

    [MachineFact(Needs.Root)]
    public void Pull_AMultiArchIndex_PicksAmd64ByDefaultAndArm64WhenAsked()
    {
        using var reg = new FakeRegistry();
        var amd = reg.AddImage("multi", null, "amd64", "I am amd64");
        var arm = reg.AddImage("multi", null, "arm64", "I am arm64");
        reg.AddIndex("multi", "1", ("linux", "arm64", "v8", arm.Manifest), ("linux", "amd64", null, amd.Manifest));
        using var e = new BareEngine();

        var a = e.Engine.PullImage($"{reg.Host}/multi:1");
        Assert.Equal("amd64", a.Architecture);
        Assert.Equal(amd.ManifestDigest, a.Digest);

        var b = e.Engine.PullImage($"{reg.Host}/multi:1", new PullOptions { Platform = "linux/arm64" });
        Assert.Equal("arm64", b.Architecture);
        Assert.Equal(arm.ManifestDigest, b.Digest);
        Assert.Equal("I am arm64", File.ReadAllText(Path.Combine(e.Engine.Layers.Get(b.Layers[0]).DiffDir, "etc/arch")));

        var ex = Assert.Throws<PodShellException>(() => e.Engine.PullImage($"{reg.Host}/multi:1", new PullOptions { Platform = "linux/riscv64" }));
        Assert.Equal("NoMatchingPlatform", ex.ErrorId);
    }

    [Theory]
    [InlineData("layer")]
    [InlineData("config")]
    public void Pull_ATamperedBlob_IsRefusedAndRegistersNothing(string which)
    {
        using var reg = new FakeRegistry();
        var img = reg.AddImage("bad", "1", "amd64", "x");
        var tampered = which == "layer" ? img.LayerDigest : img.ConfigDigest;
        reg.TamperedBlobs.Add(tampered);
        using var e = new BareEngine();

        var ex = Assert.Throws<PodShellException>(() => e.Engine.PullImage($"{reg.Host}/bad:1"));

        Assert.Equal("DigestMismatch", ex.ErrorId);
        Assert.Empty(e.Engine.GetImages());
        Assert.DoesNotContain(tampered[7..], e.BlobFiles);
        Assert.Empty(e.TempFiles);
        Assert.Empty(e.LayerDirs);
    }

    [Fact]
    public void Pull_ByDigest_RefusesAManifestThatDoesNotHashToIt()
    {
        using var reg = new FakeRegistry();
        var img = reg.AddImage("bad", null, "amd64", "x");
        var other = "sha256:" + new string('a', 64);
        reg.Manifests[$"bad:{other}"] = (img.Manifest, ManifestMediaTypes.OciManifest);
        using var e = new BareEngine();

        var ex = Assert.Throws<PodShellException>(() => e.Engine.PullImage($"{reg.Host}/bad@{other}"));

        Assert.Equal("DigestMismatch", ex.ErrorId);
        Assert.Empty(e.Engine.GetImages());
        Assert.Equal(0, reg.CountRequests("GET /v2/bad/blobs/"));
    }

    [MachineFact(Needs.Root)]
    public void Pull_ByDigest_NamesTheImageWithTheDigest()
    {
        using var reg = new FakeRegistry();
        var img = reg.AddImage("app", null, "amd64", "x");
        using var e = new BareEngine();
        var image = e.Engine.PullImage($"{reg.Host}/app@{img.ManifestDigest}");
        Assert.Equal(new[] { $"{reg.Host}/app@{img.ManifestDigest}" }, image.Names);
        Assert.Equal(img.ManifestDigest, image.Digest);
    }

    [Fact]
    public void Pull_AMissingImageOrRegistry_HasClearErrorIds()
    {
        using var reg = new FakeRegistry();
        using var e = new BareEngine();
        Assert.Equal("ImageNotFoundInRegistry", Assert.Throws<PodShellException>(() => e.Engine.PullImage($"{reg.Host}/nope:1")).ErrorId);
        var closed = FakeRegistry.FreePort();
        Assert.Equal("RegistryUnreachable", Assert.Throws<PodShellException>(() => e.Engine.PullImage($"127.0.0.1:{closed}/nope:1")).ErrorId);
    }

    [MachineFact(Needs.Root)]
    public void Pull_UnqualifiedName_GoesThroughTheSearchList()
    {
        using var reg = new FakeRegistry();
        reg.AddImage("tools/bb", "2", "amd64", "x");
        using var e = new BareEngine();
        var closed = FakeRegistry.FreePort();
        var image = e.Engine.PullImage("tools/bb:2", new PullOptions { SearchRegistries = new[] { $"127.0.0.1:{closed}", reg.Host } });
        Assert.Equal(new[] { $"{reg.Host}/tools/bb:2" }, image.Names);
    }

    [Fact]
    public void Pull_CancelledMidBlob_StopsAndLeavesNoPartialBlobOrLayer()
    {
        using var reg = new FakeRegistry();
        var img = reg.AddImage("slow", "1", "amd64", new string('z', 1 << 20));
        reg.StalledBlob = img.LayerDigest;
        using var e = new BareEngine();
        using var cts = new CancellationTokenSource();

        var pull = Task.Run(() => e.Engine.PullImage($"{reg.Host}/slow:1", null, null, cts.Token));
        Assert.True(reg.StallStarted.Wait(TimeSpan.FromSeconds(30)), "the layer download never started");
        cts.Cancel();

        var ex = Assert.ThrowsAny<Exception>(() => pull.GetAwaiter().GetResult());
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.Empty(e.Engine.GetImages());
        Assert.Empty(e.TempFiles);
        Assert.DoesNotContain(img.LayerDigest[7..], e.BlobFiles);
        Assert.Empty(e.LayerDirs);
    }
}

public sealed class FakeRegistryPushTests
{
    [Fact]
    public void Push_AnImportedImage_ThroughBearer_CanBePulledBackWithAVerifiedLayer()
    {
        using var fx = new EngineFixture();
        using var reg = new FakeRegistry { RequireBearer = true };
        var log = new ProgressLog();

        var result = fx.Engine.PushImage("busybox", $"{reg.Host}/lib/busybox:1", new PushOptions(), log);

        Assert.True(result.ManifestCreated);
        Assert.Equal(2, result.BlobsUploaded);
        Assert.Equal(result.ManifestDigest, FakeRegistry.Digest(reg.Manifests["lib/busybox:1"].Bytes));
        var manifest = ImageManifest.Parse(reg.Manifests["lib/busybox:1"].Bytes);
        Assert.Equal(ManifestMediaTypes.OciLayerGzip, manifest.Layers.Single().MediaType);

        using var other = new BareEngine();
        var pulled = other.Engine.PullImage($"{reg.Host}/lib/busybox:1");
        Assert.True(File.Exists(Path.Combine(other.Engine.Layers.Get(pulled.Layers[0]).DiffDir, "bin/busybox")));
        Assert.Equal(result.ManifestDigest, pulled.Digest);

        // Pushing again uploads nothing: HEAD finds every blob.
        var again = fx.Engine.PushImage("busybox", $"{reg.Host}/lib/busybox:1");
        Assert.Equal(0, again.BlobsUploaded);
        Assert.Equal(2, again.BlobsSkipped);
    }

    [Fact]
    public void Push_ToADigest_IsRefused()
    {
        using var fx = new EngineFixture();
        using var reg = new FakeRegistry();
        var ex = Assert.Throws<PodShellException>(() => fx.Engine.PushImage("busybox", $"{reg.Host}/x@sha256:{new string('b', 64)}"));
        Assert.Equal("InvalidImageReference", ex.ErrorId);
    }
}
