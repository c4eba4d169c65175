using System.Text;
using System.Text.Json.Nodes;
using PodShell.Engine.Images;
using PodShell.Engine.Images.Registry;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Archive;

/// <summary>Seeded fuzz of the manifest, config and archive readers: whatever bytes arrive, the
/// answer is an image or a PodShellException; nothing is written outside the temp root and a refused
/// archive registers no image.</summary>
public sealed class ArchiveFuzzTests : IDisposable
{
    private readonly ArchiveEngine _fx = new();

    public void Dispose() => _fx.Dispose();

    private static byte[] Mutate(Random rng, byte[] source)
    {
        var data = (byte[])source.Clone();
        switch (rng.Next(4))
        {
            case 0:
                for (int k = 0; k < 1 + rng.Next(6); k++) data[rng.Next(data.Length)] = (byte)rng.Next(256);
                return data;
            case 1:
                return data.Take(rng.Next(0, data.Length)).ToArray();
            case 2: // swap a JSON punctuation character for another
                var punct = "{}[]:,\"".ToCharArray();
                int at = rng.Next(data.Length);
                data[at] = (byte)punct[rng.Next(punct.Length)];
                return data;
            default: // duplicate a slice
                int from = rng.Next(data.Length), len = rng.Next(1, Math.Max(2, data.Length - from));
                return data.Take(from + len).Concat(data.Skip(from)).ToArray();
        }
    }

    private static void RefusedCleanly(Action parse, string what, int i)
    {
        try { parse(); }
        catch (PodShellException) { }
        catch (Exception e) { Assert.Fail($"{what} case {i}: expected an image or a PodShellException, got {e.GetType().Name}: {e.Message}"); }
    }

    [Fact]
    public void Manifests_and_configs_parse_or_are_refused_with_a_PodShellException()
    {
        var manifest = ArchiveBuilder.Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = "sha256:" + new string('a', 64), ["size"] = 10 },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = "sha256:" + new string('b', 64), ["size"] = 20 }),
        });
        var config = ArchiveBuilder.Config("sha256:" + new string('c', 64));
        var rng = new Random(4242);
        for (int i = 0; i < 300; i++)
        {
            var m = Mutate(rng, manifest);
            RefusedCleanly(() => ImageManifest.Parse(m, "application/vnd.oci.image.manifest.v1+json"), "manifest", i);
            var c = Mutate(rng, config);
            RefusedCleanly(() => OciImageConfig.Parse(c), "config", i);
        }
    }

    [Fact]
    public void Damaged_oci_archives_import_or_are_refused_and_register_nothing()
    {
        var b = new ArchiveBuilder();
        var tar = ArchiveBuilder.LayerTar("fuzz", "content");
        var (manifest, size) = b.AddOciImage(new[] { (TarBuilder.Gzip(tar), tar, "application/vnd.oci.image.layer.v1.tar+gzip") });
        b.SetIndex(ArchiveBuilder.Descriptor(manifest, size, "fuzz:1"));
        var good = File.ReadAllBytes(b.WriteTar(_fx.PathIn("good.tar")));
        var outside = _fx.PathIn("outside");
        Directory.CreateDirectory(outside);
        var rng = new Random(777);
        for (int i = 0; i < 60; i++)
        {
            var path = _fx.PathIn($"case-{i}.tar");
            File.WriteAllBytes(path, Mutate(rng, good));
            int before = _fx.Engine.GetImages().Count;
            IReadOnlyList<ContainerImage>? imported = null;
            try { imported = _fx.Engine.ImportArchive(path); }
            catch (PodShellException) { }
            catch (Exception e) { Assert.Fail($"archive case {i}: {e.GetType().Name}: {e.Message}"); }
            if (imported is null) Assert.Equal(before, _fx.Engine.GetImages().Count);
            else foreach (var img in imported) _fx.Engine.RemoveImage(img.Id, force: true);
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_fx.Engine.Blobs.Root, "tmp")));
            File.Delete(path);
        }
    }
}
