using System.Formats.Tar;
using PodShell.Engine.Layers;

namespace PodShell.Engine.Tests.Layers;

/// <summary>A corpus of hostile layers, and a seeded fuzz of damaged tar and gzip streams. Whatever
/// the input, the store either applies it inside its root or refuses it with a PodShellException;
/// nothing is ever written outside, and no half layer is left behind.</summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly TempDir _tmp = new("hostile");
    private readonly string _outside;
    private readonly LayerStore _store;

    public HostileLayerTests()
    {
        _outside = Path.Combine(_tmp.Path, "outside");
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "sentinel"), "untouched");
        _store = new LayerStore(Path.Combine(_tmp.Path, "store"));
    }

    public void Dispose() => _tmp.Dispose();

    private string[] OutsideSnapshot() =>
        Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories).OrderBy(x => x).ToArray();

    private void AssertContained(Action apply)
    {
        var before = OutsideSnapshot();
        try
        {
            apply();
        }
        catch (PodShellException)
        {
            // refused: fine, as long as nothing leaked
        }
        Assert.Equal(before, OutsideSnapshot());
        Assert.Equal("untouched", File.ReadAllText(Path.Combine(_outside, "sentinel")));
        Assert.Empty(Directory.EnumerateDirectories(_store.Root, ".incomplete-*"));
    }

    public static TheoryData<string> Corpus => new()
    {
        "dotdot", "absolute", "nested-dotdot", "hardlink-out", "symlink-write-through", "symlink-chain",
        "symlink-dir-then-file", "whiteout-through-symlink", "opaque-through-symlink", "hardlink-to-symlink-out",
        "dot-entries", "relative-symlink-climb", "replace-dir-with-symlink",
    };

    private byte[] Build(string name)
    {
        var o = _outside;
        var t = new TarBuilder();
        switch (name)
        {
            case "dotdot": t.File("../outside/pwned", "x"); break;
            case "absolute": t.File(Path.Combine(o, "pwned").TrimStart('/'), "inside is fine").File("/" + Path.Combine(o, "pwned2").TrimStart('/'), "x"); break;
            case "nested-dotdot": t.Dir("a").File("a/../../outside/pwned", "x"); break;
            case "hardlink-out": t.HardLink("link", "../outside/sentinel"); break;
            case "symlink-write-through": t.Symlink("x", o).File("x/pwned", "x"); break;
            case "symlink-chain": t.Symlink("a", "b").Symlink("b", o).File("a/pwned", "x"); break;
            case "symlink-dir-then-file": t.Dir("etc").Symlink("etc/sub", o).Dir("etc/sub/dir").File("etc/sub/dir/pwned", "x"); break;
            case "whiteout-through-symlink": t.Symlink("x", o).Whiteout("x/.wh.sentinel"); break;
            case "opaque-through-symlink": t.Symlink("x", o).Whiteout("x/.wh..wh..opq"); break;
            case "hardlink-to-symlink-out": t.Symlink("s", Path.Combine(o, "sentinel")).HardLink("h", "s").File("h", "overwrite?"); break;
            case "dot-entries": t.Dir(".").Dir("./").File("./ok", "fine").File("./../outside/pwned", "x"); break;
            case "relative-symlink-climb": t.Symlink("up", "../../../../../../../../" + o.TrimStart('/')).File("up/pwned", "x"); break;
            case "replace-dir-with-symlink": t.Dir("d").File("d/f", "1").Symlink("d", o).File("d/pwned", "x"); break;
            default: throw new ArgumentException(name);
        }
        return t.Build();
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Hostile_layer_never_writes_outside_the_store(string name)
    {
        var tar = Build(name);
        AssertContained(() => _store.ApplyTar(new MemoryStream(tar), null));
        AssertContained(() => _store.ApplyTar(new MemoryStream(TarBuilder.Gzip(tar)), null));
    }

    [MachineTheory(Needs.Root)]
    [InlineData("dotdot")]
    [InlineData("nested-dotdot")]
    [InlineData("hardlink-out")]
    public void Escaping_names_are_refused_with_InvalidLayerEntry(string name)
    {
        var e = Assert.Throws<PodShellException>(() => _store.ApplyTar(new MemoryStream(Build(name)), null));
        Assert.Equal("InvalidLayerEntry", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    private static byte[] ValidLayer() => new TarBuilder()
        .Dir("bin").File("bin/tool", new string('x', 3000), mode: 0x1ED)
        .Symlink("bin/alias", "tool").HardLink("bin/hard", "bin/tool")
        .Dir("etc").File("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .Whiteout("etc/.wh.shadow").Dir("var").Whiteout("var/.wh..wh..opq")
        .Build();

    [Fact]
    public void Fuzzed_tar_and_gzip_streams_are_applied_or_refused_cleanly()
    {
        var valid = ValidLayer();
        var gz = TarBuilder.Gzip(valid);
        var rng = new Random(20261129); // seeded: a failure is reproducible
        for (int i = 0; i < 120; i++)
        {
            var source = i % 2 == 0 ? valid : gz;
            var data = (byte[])source.Clone();
            switch (rng.Next(3))
            {
                case 0: // flip bytes, mostly in headers where names, sizes and types live
                    for (int k = 0; k < 1 + rng.Next(8); k++)
                    {
                        int block = rng.Next(Math.Max(1, data.Length / 512));
                        int at = Math.Min(data.Length - 1, block * 512 + rng.Next(512));
                        data[at] = (byte)rng.Next(256);
                    }
                    break;
                case 1: // truncate
                    data = data.Take(rng.Next(1, data.Length)).ToArray();
                    break;
                default: // splice a block of one place into another
                    int from = rng.Next(data.Length), to = rng.Next(data.Length), len = Math.Min(512, Math.Min(data.Length - from, data.Length - to));
                    Array.Copy(source, from, data, to, len);
                    break;
            }
            var before = OutsideSnapshot();
            try
            {
                _store.ApplyTar(new MemoryStream(data), null);
            }
            catch (PodShellException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"Fuzz case {i}: a damaged stream must be refused with a PodShellException, not {e.GetType().Name}: {e.Message}");
            }
            Assert.Equal(before, OutsideSnapshot());
            Assert.Empty(Directory.EnumerateDirectories(_store.Root, ".incomplete-*"));
        }
    }

    [MachineFact(Needs.Root)]
    public void Truncated_gzip_is_refused_and_registers_no_layer()
    {
        var gz = TarBuilder.Gzip(ValidLayer());
        var cut = gz.Take(gz.Length / 2).ToArray();
        var e = Assert.Throws<PodShellException>(() => _store.ApplyTar(new MemoryStream(cut), null));
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.DoesNotContain(Directory.EnumerateDirectories(_store.Root), d => Path.GetFileName(d) != "l");
    }
}
