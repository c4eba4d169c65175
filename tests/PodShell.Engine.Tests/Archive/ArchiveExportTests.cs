using System.Formats.Tar;
using System.Text.Json.Nodes;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Linux;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Archive;

public sealed class ArchiveExportTests : IDisposable
{
    private readonly ArchiveEngine _fx = new();
    private ContainerEngine Engine => _fx.Engine;

    public void Dispose() => _fx.Dispose();

    private ContainerImage ImportRootfs(string name)
    {
        var rootfs = _fx.PathIn("rootfs-" + name.Replace(':', '-'));
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "hello"), "hi " + name);
        File.CreateSymbolicLink(Path.Combine(rootfs, "link"), "etc/hello");
        // A tar in an order our writer would not use: its diff_id will differ from the re-tared layer.
        var tar = new TarBuilder().File("zz", "last").Dir("etc/").File("etc/hello", "hi " + name).Symlink("link", "etc/hello").Build(extraPadding: 10240);
        var path = _fx.PathIn(name.Replace(':', '-') + ".tar");
        File.WriteAllBytes(path, tar);
        return Engine.ImportImage(path, name);
    }

    private static Dictionary<string, byte[]> ReadTar(string path)
    {
        var result = new Dictionary<string, byte[]>();
        using var r = new TarReader(File.OpenRead(path));
        while (r.GetNextEntry() is { } e)
        {
            if (e.EntryType != TarEntryType.RegularFile) continue;
            var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            result[e.Name] = ms.ToArray();
        }
        return result;
    }

    [MachineFact(Needs.Root)]
    public void RootfsImage_ExportsAsOciArchive_ByteIdenticalTwice_AndReimports()
    {
        var img = ImportRootfs("app:1");
        var a = _fx.PathIn("a.tar");
        var b = _fx.PathIn("b.tar");
        Engine.ExportImages(new[] { img }, a, ImageArchiveFormat.OciArchive);
        Engine.ExportImages(new[] { img }, b, ImageArchiveFormat.OciArchive);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));

        var files = ReadTar(a);
        var index = JsonNode.Parse(files["index.json"])!;
        Assert.Equal("app:1", (string)index["manifests"]![0]!["annotations"]![OciMediaTypes.RefNameAnnotation]!);
        var manifestDigest = (string)index["manifests"]![0]!["digest"]!;
        foreach (var (name, bytes) in files.Where(f => f.Key.StartsWith("blobs/sha256/")))
            Assert.Equal(name[13..], TarBuilder.Sha256Hex(bytes));
        var manifest = JsonNode.Parse(files["blobs/sha256/" + manifestDigest[7..]])!;
        var config = JsonNode.Parse(files["blobs/sha256/" + ((string)manifest["config"]!["digest"]!)[7..]])!;
        // The re-tared layer is uncompressed, so its blob digest is its diff_id; it differs from the
        // imported tar's (other order and padding), so the config was rewritten with it.
        var layerDigest = (string)manifest["layers"]![0]!["digest"]!;
        Assert.Equal(layerDigest, (string)config["rootfs"]!["diff_ids"]![0]!);
        Assert.NotEqual(Engine.Layers.Get(img.Layers[0]).DiffId, layerDigest);

        Engine.RemoveImage(img.Id, force: false);
        var back = Assert.Single(Engine.ImportArchive(a));
        Assert.Equal(new[] { "app:1" }, back.Names);
        Assert.Equal(manifestDigest, back.Digest);
        Assert.Equal("hi app:1", File.ReadAllText(Path.Combine(Engine.Layers.Get(back.Layers[0]).DiffDir, "etc/hello")));

        // An image with a received manifest exports its blobs unchanged: the same archive again.
        var c = _fx.PathIn("c.tar");
        Engine.ExportImages(new[] { back }, c, ImageArchiveFormat.OciArchive);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [MachineFact(Needs.Root)]
    public void DockerArchive_HasRepoTagsAndDiffIdLayers_AndReimports()
    {
        var img = ImportRootfs("web:2");
        var ex = Engine.GetExportImage(img);
        var path = _fx.PathIn("d.tar");
        Engine.ExportImages(new[] { img }, path, ImageArchiveFormat.DockerArchive);
        var files = ReadTar(path);
        var m = JsonNode.Parse(files["manifest.json"])!.AsArray();
        var entry = Assert.Single(m)!;
        Assert.Equal("web:2", (string)entry["RepoTags"]![0]!);
        var layerMember = (string)entry["Layers"]![0]!;
        Assert.Equal(ex.DiffIds[0][7..] + ".tar", layerMember);
        Assert.Equal(ex.DiffIds[0][7..], TarBuilder.Sha256Hex(files[layerMember]));
        Assert.Equal(ex.ConfigDigest[7..], TarBuilder.Sha256Hex(files[(string)entry["Config"]!]));

        Engine.RemoveImage(img.Id, force: false);
        var back = Assert.Single(Engine.ImportArchive(path));
        Assert.Equal(new[] { "web:2" }, back.Names);
        Assert.Equal(ex.ConfigDigest[7..], back.Id);
    }

    [MachineFact(Needs.Root)]
    public void OciDirectory_WithTwoImages_ReimportsBoth_AndRefusesANonEmptyDestination()
    {
        var one = ImportRootfs("one:1");
        var two = ImportRootfs("two:1");
        var dir = _fx.PathIn("layout");
        Engine.ExportImages(new[] { one, two }, dir, ImageArchiveFormat.OciDirectory);
        Assert.True(File.Exists(Path.Combine(dir, "oci-layout")));
        Assert.Equal(ImageArchiveFormat.OciDirectory, ImageArchiveDetector.Detect(dir));
        Assert.Equal("DestinationNotEmpty",
            Assert.Throws<PodShellException>(() => Engine.ExportImages(new[] { one }, dir, ImageArchiveFormat.OciDirectory)).ErrorId);

        Engine.RemoveImage(one.Id, false);
        Engine.RemoveImage(two.Id, false);
        var back = Engine.ImportArchive(dir);
        Assert.Equal(new[] { "one:1", "two:1" }, back.SelectMany(i => i.Names).Order().ToArray());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_fx.Root), p => p.Contains(".tmp-"));
    }

    [MachineFact(Needs.Root)]
    public void GzipLayer_IsDecompressedForDockerArchive()
    {
        var b = new ArchiveBuilder();
        var tar = ArchiveBuilder.LayerTar("g", "gz");
        var (m, s) = b.AddOciImage(new[] { (TarBuilder.Gzip(tar), tar, OciMediaTypes.LayerGzip) });
        b.SetIndex(ArchiveBuilder.Descriptor(m, s, "gz:1"));
        var img = Assert.Single(Engine.ImportArchive(b.WriteDirectory(_fx.PathIn("gzlayout"))));
        var path = _fx.PathIn("gz-docker.tar");
        Engine.ExportImages(new[] { img }, path, ImageArchiveFormat.DockerArchive);
        Assert.Equal(tar, ReadTar(path)[ArchiveBuilder.Digest(tar)[7..] + ".tar"]);
        // ...while the OCI export keeps the received gzip blob.
        var oci = _fx.PathIn("gz-oci.tar");
        Engine.ExportImages(new[] { img }, oci, ImageArchiveFormat.OciArchive);
        Assert.Contains("blobs/sha256/" + TarBuilder.Sha256Hex(TarBuilder.Gzip(tar)), ReadTar(oci).Keys);
    }

    [MachineFact(Needs.Root)]
    public void DiffTarWriter_ConvertsOverlayWhiteoutsAndKeepsMetadata()
    {
        var diff = _fx.PathIn("diff");
        Directory.CreateDirectory(Path.Combine(diff, "opaque"));
        File.WriteAllText(Path.Combine(diff, "opaque", "kept"), "k");
        Xattr.Set(Path.Combine(diff, "opaque"), "trusted.overlay.opaque", "y"u8.ToArray());
        FileNodes.Mknod(Path.Combine(diff, "gone"), FileNodes.S_IFCHR, 0, 0);
        File.WriteAllText(Path.Combine(diff, "file"), "data");
        FileOwnership.LChown(Path.Combine(diff, "file"), 123, 456);
        FileOwnership.Chmod(Path.Combine(diff, "file"), 0x1C0); // 0700

        var ms1 = new MemoryStream();
        DiffTarWriter.Write(diff, ms1);
        var ms2 = new MemoryStream();
        DiffTarWriter.Write(diff, ms2);
        Assert.Equal(ms1.ToArray(), ms2.ToArray());

        ms1.Position = 0;
        var entries = new List<TarEntry>();
        using (var r = new TarReader(ms1, leaveOpen: true)) while (r.GetNextEntry(copyData: true) is { } e) entries.Add(e);
        Assert.Equal(new[] { "file", ".wh.gone", "opaque/", "opaque/.wh..wh..opq", "opaque/kept" }, entries.Select(e => e.Name).ToArray());
        var file = entries[0];
        Assert.Equal((123, 456), (file.Uid, file.Gid));
        Assert.Equal((UnixFileMode)0x1C0, file.Mode);
        Assert.Equal(TarEntryType.RegularFile, entries[1].EntryType);

        // And back: the layer store turns them into overlay whiteouts again.
        ms1.Position = 0;
        var layer = Engine.Layers.ApplyTar(ms1, null);
        Assert.True(FileStatus.TryLStat(Path.Combine(layer.DiffDir, "gone")) is { IsCharDevice: true });
        Assert.Equal("y"u8.ToArray(), Xattr.Get(Path.Combine(layer.DiffDir, "opaque"), "trusted.overlay.opaque"));
        Engine.Layers.Delete(layer.Id);
    }
}
