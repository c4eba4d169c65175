using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Archive;

public sealed class ArchiveImportTests : IDisposable
{
    private readonly ArchiveEngine _fx = new();
    private ContainerEngine Engine => _fx.Engine;

    public void Dispose() => _fx.Dispose();

    private static (byte[] Blob, byte[] Tar, string MediaType) GzLayer(string file, string content)
    {
        var tar = ArchiveBuilder.LayerTar(file, content);
        return (TarBuilder.Gzip(tar), tar, OciMediaTypes.LayerGzip);
    }

    private static (byte[] Blob, byte[] Tar, string MediaType) ZstdLayer(string file, string content)
    {
        var tar = ArchiveBuilder.LayerTar(file, content);
        using var c = new ZstdSharp.Compressor();
        return (c.Wrap(tar).ToArray(), tar, OciMediaTypes.LayerZstd);
    }

    private string FileInImage(ContainerImage img, string path) =>
        File.ReadAllText(Path.Combine(Engine.Layers.Get(img.Layers[^1]).DiffDir, path));

    [MachineFact(Needs.Root)]
    public void OciDirectory_WithTwoTagsAndAZstdLayer_IsOneImageWithBothNames()
    {
        var b = new ArchiveBuilder();
        var (m, size) = b.AddOciImage(new[] { GzLayer("a", "base"), ZstdLayer("b", "zstd on top") });
        b.SetIndex(ArchiveBuilder.Descriptor(m, size, "example.com/app:1"), ArchiveBuilder.Descriptor(m, size, "app:2"));
        var dir = b.WriteDirectory(_fx.PathIn("layout"));

        Assert.Equal(ImageArchiveFormat.OciDirectory, ImageArchiveDetector.Detect(dir));
        var img = Assert.Single(Engine.ImportArchive(dir));
        Assert.Equal(new[] { "example.com/app:1", "app:2" }, img.Names.OrderByDescending(n => n.Length).ToArray());
        Assert.Equal(m, img.Digest);
        Assert.Equal(2, img.Layers.Length);
        Assert.Equal("zstd on top", FileInImage(img, "etc/b"));
        Assert.Equal(new[] { "sh" }, img.Config.Cmd);
    }

    [MachineFact(Needs.Root)]
    public void OciArchive_WithAnIndex_PicksLinuxAmd64()
    {
        var b = new ArchiveBuilder();
        var (arm, armSize) = b.AddOciImage(new[] { GzLayer("arch", "arm64") });
        var (amd, amdSize) = b.AddOciImage(new[] { GzLayer("arch", "amd64") });
        var inner = ArchiveBuilder.Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Index,
            ["manifests"] = new JsonArray(
                new JsonObject { ["mediaType"] = OciMediaTypes.Manifest, ["digest"] = arm, ["size"] = armSize, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "arm64" } },
                new JsonObject { ["mediaType"] = OciMediaTypes.Manifest, ["digest"] = amd, ["size"] = amdSize, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" } }),
        });
        var idx = b.AddBlob(inner);
        b.SetIndex(ArchiveBuilder.Descriptor(idx, inner.Length, "multi:1", OciMediaTypes.Index));
        var tar = b.WriteTar(_fx.PathIn("multi.tar"));

        Assert.Equal(ImageArchiveFormat.OciArchive, ImageArchiveDetector.Detect(tar));
        var img = Assert.Single(Engine.ImportArchive(tar, "renamed"));
        Assert.Equal(new[] { "renamed:latest" }, img.Names);
        Assert.Equal(amd, img.Digest);
        Assert.Equal("amd64", FileInImage(img, "etc/arch"));
    }

    [MachineFact(Needs.Root)]
    public void DockerArchive_LegacyAndDiffIdLayouts_ImportEveryImageAndTag()
    {
        var t1 = ArchiveBuilder.LayerTar("one", "1");
        var t2 = ArchiveBuilder.LayerTar("two", "2");
        var d1 = ArchiveBuilder.Digest(t1);
        var d2 = ArchiveBuilder.Digest(t2);
        var c1 = ArchiveBuilder.Config(d1);
        var c2 = ArchiveBuilder.Config(d1, d2);
        var b = new ArchiveBuilder();
        // podman save: <diffid>.tar plus legacy <v1id>/layer.tar symlinks; the second layer gzip (docker save | gzip per layer).
        b.Files[d1[7..] + ".tar"] = t1;
        b.Symlinks["abc123/layer.tar"] = "../" + d1[7..] + ".tar";
        b.Files["def456/layer.tar"] = TarBuilder.Gzip(t2);
        b.Files[ArchiveBuilder.Digest(c1)[7..] + ".json"] = c1;
        b.Files[ArchiveBuilder.Digest(c2)[7..] + ".json"] = c2;
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes(
            $"[{{\"Config\":\"{ArchiveBuilder.Digest(c1)[7..]}.json\",\"RepoTags\":[\"localhost/one:1\"],\"Layers\":[\"abc123/layer.tar\"]}}," +
            $"{{\"Config\":\"./{ArchiveBuilder.Digest(c2)[7..]}.json\",\"RepoTags\":[\"two:a\",\"two:b\"],\"Layers\":[\"{d1[7..]}.tar\",\"def456/layer.tar\"]}}]");
        var tar = b.WriteTar(_fx.PathIn("docker.tar"));

        Assert.Equal(ImageArchiveFormat.DockerArchive, ImageArchiveDetector.Detect(tar));
        var images = Engine.ImportArchive(tar);
        Assert.Equal(2, images.Count);
        Assert.Equal(new[] { "localhost/one:1" }, images[0].Names);
        Assert.Equal(new[] { "two:a", "two:b" }, images[1].Names.Order().ToArray());
        Assert.Equal(images[0].Layers[0], images[1].Layers[0]); // shared base layer applied once
        Assert.Equal("2", FileInImage(images[1], "etc/two"));
        Assert.Equal(ArchiveBuilder.Digest(c1)[7..], images[0].Id);
        // The record keeps an OCI manifest made for the image: its digest is the image Digest.
        var manifest = JsonNode.Parse(Engine.Blobs.ReadAll(images[1].Digest))!;
        Assert.Equal(d1, (string)manifest["layers"]![0]!["digest"]!);
        Assert.Equal(OciMediaTypes.LayerGzip, (string)manifest["layers"]![1]!["mediaType"]!);
    }

    [MachineFact(Needs.Root)]
    public void GzipCompressedDockerArchive_IsDetectedAndImported()
    {
        var t1 = ArchiveBuilder.LayerTar("gz", "outer gzip");
        var c1 = ArchiveBuilder.Config(ArchiveBuilder.Digest(t1));
        var b = new ArchiveBuilder();
        b.Files["l.tar"] = t1;
        b.Files["c.json"] = c1;
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes("[{\"Config\":\"c.json\",\"RepoTags\":null,\"Layers\":[\"l.tar\"]}]");
        var path = b.WriteTar(_fx.PathIn("docker.tar.gz"), gzip: true);
        var img = Assert.Single(Engine.ImportArchive(path, "gz:1"));
        Assert.Equal("outer gzip", FileInImage(img, "etc/gz"));
        Assert.Empty(Directory.GetFiles(Path.Combine(Engine.Blobs.Root, "tmp")));
    }

    [MachineFact(Needs.Root)]
    public void RootFilesystem_WithoutName_IsNameRequired()
    {
        var tar = _fx.PathIn("rootfs.tar");
        File.WriteAllBytes(tar, ArchiveBuilder.LayerTar("x", "y"));
        Assert.Equal(ImageArchiveFormat.RootFilesystem, ImageArchiveDetector.Detect(tar));
        Assert.Equal("NameRequired", Assert.Throws<PodShellException>(() => Engine.ImportArchive(tar)).ErrorId);
        var img = Assert.Single(Engine.ImportArchive(tar, "rootfs"));
        Assert.Equal("sha256:" + img.Id, img.Digest);
    }

    [MachineFact(Needs.Root)]
    public void NameForAMultiImageArchive_IsNameAmbiguous()
    {
        var b = new ArchiveBuilder();
        var (m1, s1) = b.AddOciImage(new[] { GzLayer("a", "1") });
        var (m2, s2) = b.AddOciImage(new[] { GzLayer("a", "2") });
        b.SetIndex(ArchiveBuilder.Descriptor(m1, s1, "a:1"), ArchiveBuilder.Descriptor(m2, s2, "a:2"));
        var dir = b.WriteDirectory(_fx.PathIn("two"));
        Assert.Equal("NameAmbiguous", Assert.Throws<PodShellException>(() => Engine.ImportArchive(dir, "x")).ErrorId);
        Assert.Empty(Engine.GetImages());
        Assert.Equal(2, Engine.ImportArchive(dir).Count);
    }

    // ---- hostile and broken archives: refused, nothing registered, nothing written outside ----

    private void AssertRefused(string path, string errorId)
    {
        var blobsBefore = _fx.BlobFiles();
        var e = Assert.Throws<PodShellException>(() => Engine.ImportArchive(path));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Empty(Engine.GetImages());
        Assert.Equal(blobsBefore, _fx.BlobFiles());
        Assert.Empty(Directory.GetFiles(Path.Combine(Engine.Blobs.Root, "tmp")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_fx.Root)!, "escaped")), "a file was written outside the temp root");
    }

    [Theory]
    [InlineData("../escaped.json", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("../../../../../../etc/passwd", true)]
    public void DockerManifest_PointingOutside_IsInvalidArchive(string path, bool asLayer)
    {
        var t1 = ArchiveBuilder.LayerTar("x", "y");
        var b = new ArchiveBuilder();
        b.Files["c.json"] = ArchiveBuilder.Config(ArchiveBuilder.Digest(t1));
        b.Files["l.tar"] = t1;
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes(asLayer
            ? $"[{{\"Config\":\"c.json\",\"Layers\":[\"{path}\"]}}]"
            : $"[{{\"Config\":\"{path}\",\"Layers\":[\"l.tar\"]}}]");
        AssertRefused(b.WriteTar(_fx.PathIn("evil.tar")), "InvalidArchive");
    }

    [Fact]
    public void TarMemberNamedOutside_IsInvalidArchive()
    {
        var b = new ArchiveBuilder();
        var (m, s) = b.AddOciImage(new[] { GzLayer("a", "1") });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "a:1"));
        b.Files["../escaped"] = new byte[] { 1 };
        AssertRefused(b.WriteTar(_fx.PathIn("evil.tar")), "InvalidArchive");
    }

    [Fact]
    public void IndexDigestWithDotDot_IsInvalidArchive()
    {
        var b = new ArchiveBuilder();
        b.SetIndex(ArchiveBuilder.Descriptor("sha256:../../escaped", 10, "a:1"));
        AssertRefused(b.WriteDirectory(_fx.PathIn("dotdot")), "InvalidArchive");
    }

    [Fact]
    public void SymlinkedBlobOutsideTheLayout_IsNotFollowedOut()
    {
        var b = new ArchiveBuilder();
        var (m, s) = b.AddOciImage(new[] { GzLayer("a", "1") });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "a:1"));
        var dir = b.WriteDirectory(_fx.PathIn("linked"));
        var secret = _fx.PathIn("secret-manifest");
        File.Copy(Path.Combine(dir, "blobs/sha256", m[7..]), secret);
        File.Delete(Path.Combine(dir, "blobs/sha256", m[7..]));
        File.CreateSymbolicLink(Path.Combine(dir, "blobs/sha256", m[7..]), secret);
        AssertRefused(dir, "InvalidArchive");
    }

    [Fact]
    public void LayerBlobWithWrongContent_IsDigestMismatch()
    {
        var b = new ArchiveBuilder();
        var layer = GzLayer("a", "1");
        var (m, s) = b.AddOciImage(new[] { layer });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "a:1"));
        b.Files["blobs/sha256/" + ArchiveBuilder.Digest(layer.Blob)[7..]] = TarBuilder.Gzip(ArchiveBuilder.LayerTar("a", "evil"));
        AssertRefused(b.WriteTar(_fx.PathIn("mismatch.tar")), "DigestMismatch");
    }

    [Fact]
    public void DockerLayerNotMatchingItsDiffId_IsDigestMismatch()
    {
        var t1 = ArchiveBuilder.LayerTar("x", "y");
        var b = new ArchiveBuilder();
        b.Files["c.json"] = ArchiveBuilder.Config(ArchiveBuilder.Digest(t1));
        b.Files["l.tar"] = ArchiveBuilder.LayerTar("x", "tampered");
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes("[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\"]}]");
        AssertRefused(b.WriteTar(_fx.PathIn("tampered.tar")), "DigestMismatch");
    }

    [MachineFact(Needs.Root)]
    public void TruncatedGzipLayerInADockerArchive_IsRefused()
    {
        var t1 = new TarBuilder().File("big", new string('x', 200000)).Build();
        var gz = TarBuilder.Gzip(t1);
        var b = new ArchiveBuilder();
        b.Files["c.json"] = ArchiveBuilder.Config(ArchiveBuilder.Digest(t1));
        b.Files["l.tar"] = gz[..(gz.Length / 2)];
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes("[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\"]}]");
        var e = Assert.Throws<PodShellException>(() => Engine.ImportArchive(b.WriteTar(_fx.PathIn("trunc.tar"))));
        Assert.Contains(e.ErrorId, new[] { "InvalidArchive", "InvalidLayerTar", "DiffIdMismatch" });
        Assert.Empty(Engine.GetImages());
        Assert.Empty(Engine.Store.UnreferencedLayers());
    }

    [Fact]
    public void TruncatedArchiveFile_IsRefused()
    {
        var b = new ArchiveBuilder();
        var (m, s) = b.AddOciImage(new[] { GzLayer("a", new string('z', 100000)) });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "a:1"));
        var path = b.WriteTar(_fx.PathIn("whole.tar"));
        var bytes = File.ReadAllBytes(path);
        // oci-layout and index.json come first (sorted), the big layer blob is cut.
        var cut = _fx.PathIn("cut.tar");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 4096)]);
        var e = Assert.Throws<PodShellException>(() => Engine.ImportArchive(cut));
        Assert.Contains(e.ErrorId, new[] { "InvalidArchive", "DigestMismatch" });
        Assert.Empty(Engine.GetImages());
    }

    [Theory]
    [InlineData("index.json", "{\"manifests\": [")]
    [InlineData("index.json", "{\"manifests\": 5}")]
    [InlineData("oci-layout", "[]")]
    public void MalformedJson_IsInvalidArchive(string file, string content)
    {
        var b = new ArchiveBuilder();
        var (m, s) = b.AddOciImage(new[] { GzLayer("a", "1") });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "a:1"));
        b.Files[file] = Encoding.UTF8.GetBytes(content);
        AssertRefused(b.WriteDirectory(_fx.PathIn("malformed")), "InvalidArchive");
    }

    [Fact]
    public void MalformedImageConfig_IsRefused()
    {
        var b = new ArchiveBuilder();
        b.Files["c.json"] = Encoding.UTF8.GetBytes("{\"rootfs\": ");
        b.Files["manifest.json"] = Encoding.UTF8.GetBytes("[{\"Config\":\"c.json\",\"Layers\":[]}]");
        var e = Assert.Throws<PodShellException>(() => Engine.ImportArchive(b.WriteTar(_fx.PathIn("badcfg.tar"))));
        Assert.Equal("InvalidImageConfig", e.ErrorId);
        Assert.Empty(Engine.GetImages());
    }

    [MachineFact(Needs.Root)]
    public void ZstdLayer_IsUnpackedByTheLayerStore()
    {
        var tar = ArchiveBuilder.LayerTar("z", "zstd");
        using var c = new ZstdSharp.Compressor();
        var layer = Engine.Layers.ApplyTar(new MemoryStream(c.Wrap(tar).ToArray()), null);
        Assert.Equal(ArchiveBuilder.Digest(tar), layer.DiffId);
        Assert.Equal("zstd", File.ReadAllText(Path.Combine(layer.DiffDir, "etc/z")));
        Engine.Layers.Delete(layer.Id);
    }
}
