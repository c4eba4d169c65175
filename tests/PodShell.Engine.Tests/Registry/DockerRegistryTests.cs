using PodShell.Engine.Images.Registry;
using PodShell.Engine.Tests.EngineFacade;

namespace PodShell.Engine.Tests.Registry;

/// <summary>Against Debian's docker-registry (distribution 2.8) on 127.0.0.1: what a real registry accepts
/// and serves, anonymous and with htpasswd Basic auth.</summary>
public sealed class DockerRegistryTests
{
    [Fact]
    public void PushPullRoundTrip_Anonymous_ByTagAndDigest_AndASecondPullDownloadsNoLayer()
    {
        using var registry = new DockerRegistryProcess();
        using var fx = new EngineFixture();
        var dest = $"{registry.Host}/podshell/busybox:1";

        var pushed = fx.Engine.PushImage("busybox", dest);
        Assert.Equal(2, pushed.BlobsUploaded);

        using var other = new BareEngine();
        var log = new ProgressLog();
        var byTag = other.Engine.PullImage(dest, null, log);
        Assert.Equal(pushed.ManifestDigest, byTag.Digest);
        Assert.Equal(new[] { dest }, byTag.Names);
        Assert.Equal(new[] { 0, 1 }, log.Transferred.OrderBy(i => i));
        Assert.True(File.Exists(Path.Combine(other.Engine.Layers.Get(byTag.Layers[0]).DiffDir, "bin/busybox")));
        var layerDigest = ImageManifest.Parse(other.Engine.Blobs.ReadAll(byTag.Digest)).Layers[0].Digest;
        Assert.Equal(1, registry.BlobGets(layerDigest));

        // Same layers by digest, and again: no blob moves, the registry sees no further layer GET.
        var log2 = new ProgressLog();
        var byDigest = other.Engine.PullImage($"{registry.Host}/podshell/busybox@{pushed.ManifestDigest}", null, log2);
        Assert.Equal(byTag.Id, byDigest.Id);
        Assert.Contains($"{registry.Host}/podshell/busybox@{pushed.ManifestDigest}", byDigest.Names);
        Assert.Empty(log2.Transferred);
        Assert.Equal(1, registry.BlobGets(layerDigest));

        // A pulled image goes back byte for byte: same manifest digest under a new tag, no upload.
        var copy = other.Engine.PushImage(dest, $"{registry.Host}/podshell/copy:2");
        Assert.False(copy.ManifestCreated);
        Assert.Equal(pushed.ManifestDigest, copy.ManifestDigest);
    }

    [Fact]
    public void BasicAuth_RefusesMissingOrWrongCredentialsAndAcceptsTheRightOnes()
    {
        using var registry = new DockerRegistryProcess("pod", "shell-pass");
        using var fx = new EngineFixture();
        var dest = $"{registry.Host}/secure/busybox:1";

        var none = Assert.Throws<PodShellException>(() => fx.Engine.PushImage("busybox", dest));
        Assert.Equal("RegistryAuthenticationFailed", none.ErrorId);
        var wrong = Assert.Throws<PodShellException>(() => fx.Engine.PushImage("busybox", dest, new PushOptions { Credentials = new("pod", "nope") }));
        Assert.Equal("RegistryAuthenticationFailed", wrong.ErrorId);

        var creds = new RegistryCredentials("pod", "shell-pass");
        fx.Engine.PushImage("busybox", dest, new PushOptions { Credentials = creds });
        using var other = new BareEngine();
        Assert.Equal("RegistryAuthenticationFailed",
            Assert.Throws<PodShellException>(() => other.Engine.PullImage(dest)).ErrorId);
        var image = other.Engine.PullImage(dest, new PullOptions { Credentials = creds });
        Assert.Equal(new[] { dest }, image.Names);
    }
}
