using PodShell.Engine.Images.Registry;

namespace PodShell.Engine.Tests.Registry;

public sealed class RegistryReferenceTests
{
    [Theory]
    [InlineData("alpine", "docker.io", "library/alpine", "latest", null)]
    [InlineData("alpine:3.20", "docker.io", "library/alpine", "3.20", null)]
    [InlineData("team/app:1", "docker.io", "team/app", "1", null)]
    [InlineData("quay.io/podman/stable", "quay.io", "podman/stable", "latest", null)]
    [InlineData("127.0.0.1:5000/bb:1", "127.0.0.1:5000", "bb", "1", null)]
    [InlineData("localhost/a/b/c:v_1", "localhost", "a/b/c", "v_1", null)]
    [InlineData("localhost:5000/bb@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost:5000", "bb", null,
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("docker://index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1", null)]
    public void Parse_SplitsRegistryRepositoryTagAndDigest(string text, string registry, string repo, string? tag, string? digest)
    {
        var r = RegistryReference.Parse(text);
        Assert.Equal(registry, r.Registry);
        Assert.Equal(repo, r.Repository);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Alpine")]
    [InlineData("alpine:")]
    [InlineData("alpine@sha256:abc")]
    [InlineData("reg.io/a//b")]
    [InlineData("alpine:bad/tag")]
    public void Parse_RefusesInvalidReferences(string text)
    {
        var e = Assert.Throws<PodShellException>(() => RegistryReference.Parse(text));
        Assert.Equal("InvalidImageReference", e.ErrorId);
    }

    [Fact]
    public void ToString_IsTheFullyQualifiedName()
    {
        Assert.Equal("docker.io/library/alpine:latest", RegistryReference.Parse("alpine").ToString());
        Assert.Equal("registry-1.docker.io", RegistryReference.Parse("alpine").ApiHost);
        Assert.Equal("127.0.0.1:5000/x/y:2", RegistryReference.Parse("127.0.0.1:5000/x/y:2").ToString());
    }

    [Theory]
    [InlineData("localhost:5000/a", true)]
    [InlineData("127.0.0.1:5000/a", true)]
    [InlineData("127.8.9.10/a", true)]
    [InlineData("[::1]:5000/a", true)]
    [InlineData("quay.io/a", false)]
    [InlineData("10.0.0.1:5000/a", false)]
    public void IsLoopback_CoversLocalhostThe127NetworkAndIpv6(string text, bool expected) =>
        Assert.Equal(expected, RegistryReference.Parse(text).IsLoopback);

    [Fact]
    public void Candidates_UseTheSearchListForUnqualifiedNamesOnly()
    {
        var list = new[] { "127.0.0.1:5000", "docker.io" };
        Assert.Equal(new[] { "127.0.0.1:5000/bb:latest", "docker.io/library/bb:latest" },
            RegistryReference.Candidates("bb", list).Select(r => r.ToString()));
        Assert.Equal(new[] { "quay.io/x/bb:latest" }, RegistryReference.Candidates("quay.io/x/bb", list).Select(r => r.ToString()));
    }

    [Fact]
    public void SearchRegistries_ComesFromTheEnvironmentElseDockerHub()
    {
        var old = Environment.GetEnvironmentVariable(RegistryReference.SearchListVariable);
        try
        {
            Environment.SetEnvironmentVariable(RegistryReference.SearchListVariable, " quay.io , 127.0.0.1:5000/ ,");
            Assert.Equal(new[] { "quay.io", "127.0.0.1:5000" }, RegistryReference.SearchRegistries());
            Environment.SetEnvironmentVariable(RegistryReference.SearchListVariable, null);
            Assert.Equal(new[] { "docker.io" }, RegistryReference.SearchRegistries());
        }
        finally
        {
            Environment.SetEnvironmentVariable(RegistryReference.SearchListVariable, old);
        }
    }
}

public sealed class AuthChallengeTests
{
    [Fact]
    public void Parse_ReadsBearerParametersWithCommasInQuotes()
    {
        var c = AuthChallenge.Parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\"")!;
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c.Realm);
        Assert.Equal("registry.docker.io", c.Service);
        Assert.Equal("repository:samalba/my-app:pull,push", c.Scope);
    }

    [Fact]
    public void Parse_ReadsBasic()
    {
        var c = AuthChallenge.Parse("Basic realm=\"podshell-test\"")!;
        Assert.True(c.IsBasic);
        Assert.Equal("podshell-test", c.Realm);
        Assert.Null(AuthChallenge.Parse(""));
    }
}

public sealed class PlatformAndManifestTests
{
    [Fact]
    public void Platform_ParsesAndMatchesVariantsOnlyWhenAsked()
    {
        var p = Platform.Parse("linux/arm64/v8");
        Assert.Equal(new Platform("linux", "arm64", "v8"), p);
        Assert.True(p.Matches(new Platform("linux", "arm64")));
        Assert.False(Platform.Parse("linux/arm/v7").Matches(new Platform("linux", "arm", "v6")));
        Assert.True(Platform.Parse("linux/arm").Matches(new Platform("linux", "arm", "v6")));
        Assert.False(Platform.Parse("linux/amd64").Matches(new Platform("windows", "amd64")));
        Assert.Equal("InvalidPlatform", Assert.Throws<PodShellException>(() => Platform.Parse("amd64")).ErrorId);
    }

    [Fact]
    public void SelectPlatform_PicksTheMatchOrListsWhatThereIs()
    {
        using var reg = new FakeRegistry();
        var amd = reg.AddImage("x", null, "amd64", "a");
        var arm = reg.AddImage("x", null, "arm64", "b");
        reg.AddIndex("x", "multi", ("linux", "arm64", "v8", arm.Manifest), ("linux", "amd64", null, amd.Manifest));
        var index = ImageManifest.Parse(reg.Manifests["x:multi"].Bytes);
        Assert.True(index.IsIndex);
        Assert.Equal(amd.ManifestDigest, index.SelectPlatform(Platform.Parse("linux/amd64")).Digest);
        Assert.Equal(arm.ManifestDigest, index.SelectPlatform(Platform.Parse("linux/arm64")).Digest);
        var e = Assert.Throws<PodShellException>(() => index.SelectPlatform(Platform.Parse("linux/s390x")));
        Assert.Equal("NoMatchingPlatform", e.ErrorId);
        Assert.Contains("linux/arm64/v8", e.Message);
        Assert.Contains("linux/amd64", e.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"schemaVersion\":1,\"fsLayers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\",\"config\":{},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:12\"},\"layers\":[]}")]
    public void Parse_RefusesMalformedOrUnsupportedManifests(string json)
    {
        var e = Assert.Throws<PodShellException>(() => ImageManifest.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal("InvalidManifest", e.ErrorId);
    }
}
