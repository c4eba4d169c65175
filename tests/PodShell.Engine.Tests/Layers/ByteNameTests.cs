using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Layers;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Tests.Layers;

/// <summary>Issue 15 item 6: Linux file names are bytes, and every name the kernel allows must survive a layer tar
/// import, the layer on disk and the tar written back, byte for byte. The tars are made by Python's tarfile (GNU and
/// PAX formats, names as surrogate-escaped bytes), the layer on disk is listed by find -print0 and the exported tar
/// is read back by tarfile: nothing of PodShell's own tar code judges its own output.</summary>
public sealed class ByteNameTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"podshell-test-bytes-{Guid.NewGuid():N}");
    private readonly LayerStore _store;

    public ByteNameTests()
    {
        Directory.CreateDirectory(_root);
        _store = new LayerStore(Path.Combine(_root, "overlay"));
    }

    public void Dispose() => Run("rm", ["-rf", "--one-file-system", _root], null);

    private static readonly byte[][] Names =
    [
        [0xFF],
        "caf"u8.ToArray().Concat(new byte[] { 0x80 }).ToArray(),
        "new\nline"u8.ToArray(),
        "tab\tname"u8.ToArray(),
        "caf\u00e9-utf8"u8.ToArray(),
        Enumerable.Repeat((byte)'n', 255).ToArray(),
        [0xC3, 0x28, 0xED, 0xA0, 0x80], // an invalid 2-byte sequence and an encoded surrogate
    ];

    // d01/d02/.../d40/deep-<0xFE>: far beyond ustar's 100 + 155 bytes.
    private static readonly byte[] Deep = Encoding.ASCII.GetBytes(string.Join('/', Enumerable.Range(1, 40).Select(i => $"d{i:00}")) + "/deep-")
        .Concat(new byte[] { 0xFE }).ToArray();

    /// <summary>Every path the layer must hold, relative, as bytes.</summary>
    private static List<byte[]> ExpectedPaths()
    {
        var list = new List<byte[]>();
        foreach (var n in Names) list.Add(n);
        list.Add("link-"u8.ToArray().Concat(new byte[] { 0xFF }).ToArray());
        list.Add("hard-"u8.ToArray().Concat(new byte[] { 0xFF }).ToArray());
        var parts = Deep;
        for (int i = 0; i < parts.Length; i++)
            if (parts[i] == '/') list.Add(parts[..i]);
        list.Add(Deep);
        return list;
    }

    private static string Hex(byte[] b) => Convert.ToHexString(b);

    internal static bool HavePython => Run("python3", ["-c", "import tarfile"], null).Code == 0;

    /// <summary>A tar made by Python: the names above as files (content = hex of the name), a symlink
    /// "link-\xff" -> "\xff", a hard link "hard-\xff" -> "\xff", and the deep file.</summary>
    private string MakeTar(string format)
    {
        string path = Path.Combine(_root, $"input-{format}.tar");
        string names = string.Join(",", Names.Select(n => "bytes.fromhex('" + Hex(n) + "')"));
        string script = $$"""
import tarfile, io, sys, os
fmt = {'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT}['{{format}}']
def s(b): return os.fsdecode(b)
with tarfile.open(sys.argv[1], 'w', format=fmt) as t:
    for n in [{{names}}]:
        data = n.hex().encode()
        i = tarfile.TarInfo(s(n)); i.size = len(data); i.mtime = 1600000000; i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo(s(b'link-\xff')); i.type = tarfile.SYMTYPE; i.linkname = s(b'\xff'); t.addfile(i)
    i = tarfile.TarInfo(s(b'hard-\xff')); i.type = tarfile.LNKTYPE; i.linkname = s(b'\xff'); t.addfile(i)
    deep = bytes.fromhex('{{Hex(Deep)}}')
    i = tarfile.TarInfo(s(deep)); data = b'deep'; i.size = 4; t.addfile(i, io.BytesIO(data))
""";
        var r = Run("python3", ["-c", script, path], null);
        Assert.True(r.Code == 0, r.Err);
        return path;
    }

    /// <summary>find -print0 of a directory, relative paths as bytes.</summary>
    private static HashSet<string> Find(string dir)
    {
        var r = Run("find", [".", "-mindepth", "1", "-print0"], dir);
        Assert.Equal(0, r.Code);
        return Split(r.Out).Select(b => Hex(b.AsSpan(2).ToArray())).ToHashSet(); // drop "./"
    }

    /// <summary>Member names (without a trailing '/') and link targets of a tar, read by Python's tarfile.</summary>
    private static (HashSet<string> Names, Dictionary<string, string> Links) ListTar(string tar)
    {
        const string script = """
import tarfile, sys, os
out = sys.stdout.buffer
with tarfile.open(sys.argv[1]) as t:
    for m in t:
        out.write(os.fsencode(m.name).rstrip(b'/') + b'\0' + os.fsencode(m.linkname) + b'\0')
""";
        var r = Run("python3", ["-c", script, tar], null);
        Assert.True(r.Code == 0, Encoding.UTF8.GetString(r.Out) + r.Err);
        var parts = Split(r.Out);
        var names = new HashSet<string>();
        var links = new Dictionary<string, string>();
        for (int i = 0; i + 1 < parts.Count; i += 2)
        {
            names.Add(Hex(parts[i]));
            if (parts[i + 1].Length > 0) links[Hex(parts[i])] = Hex(parts[i + 1]);
        }
        return (names, links);
    }

    private static List<byte[]> Split(byte[] data)
    {
        var list = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < data.Length; i++)
            if (data[i] == 0) { list.Add(data[start..i]); start = i + 1; }
        return list;
    }

    private static (int Code, byte[] Out, string Err) Run(string file, string[] args, string? cwd)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (cwd != null) psi.WorkingDirectory = cwd;
        try
        {
            using var p = Process.Start(psi)!;
            var ms = new MemoryStream();
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.BaseStream.CopyTo(ms);
            p.WaitForExit();
            return (p.ExitCode, ms.ToArray(), err.Result);
        }
        catch (System.ComponentModel.Win32Exception e) { return (127, [], e.Message); }
    }

    [PythonTheory]
    [InlineData("gnu")]
    [InlineData("pax")]
    public void Names_of_any_bytes_survive_tar_import_the_layer_on_disk_and_export(string format)
    {
        var expected = ExpectedPaths().Select(Hex).ToHashSet();

        LayerInfo layer;
        using (var input = File.OpenRead(MakeTar(format)))
            layer = _store.ApplyTar(input, null);

        // On disk: exactly the names, byte for byte; contents and links intact.
        Assert.Equal(expected.Order(), Find(layer.DiffDir).Order());
        var link = Run("find", [".", "-maxdepth", "1", "-type", "l", "-printf", "%l\\0"], layer.DiffDir);
        Assert.Equal(new[] { "FF" }, Split(link.Out).Select(Hex));
        var hardCount = Run("find", [".", "-maxdepth", "1", "-type", "f", "-links", "2", "-print0"], layer.DiffDir);
        Assert.Equal(new[] { Hex([(byte)'.', (byte)'/', 0xFF]), Hex("./hard-"u8.ToArray().Concat(new byte[] { 0xFF }).ToArray()) }.Order(),
            Split(hardCount.Out).Select(Hex).Order());

        // Exported as a layer tar (Export-ContainerImage, Export-Container, commit): the same names.
        string exported = Path.Combine(_root, "exported.tar");
        using (var output = File.Create(exported)) DiffTarWriter.Write(layer.DiffDir, output);
        var (names, links) = ListTar(exported);
        Assert.Equal(expected.Order(), names.Order());
        var hard = Hex("hard-"u8.ToArray().Concat(new byte[] { 0xFF }).ToArray());
        Assert.Equal("FF", links[Hex("link-"u8.ToArray().Concat(new byte[] { 0xFF }).ToArray())]);
        // One of the two names of the inode is the file, the other a hard link to it (which one is the writer's order).
        Assert.True(links.TryGetValue(hard, out var h) ? h == "FF" : links["FF"] == hard, "the hard link is lost");

        // A directory import (Import-ContainerImage of a directory) tars the tree the same way, and unpacks it again.
        var again = _store.ApplyDirectory(layer.DiffDir, null);
        Assert.Equal(expected.Order(), Find(again.DiffDir).Order());
    }

    [PythonFact]
    public void A_file_content_reached_through_a_name_that_is_not_utf8_is_the_files_own()
    {
        LayerInfo layer;
        using (var input = File.OpenRead(MakeTar("pax")))
            layer = _store.ApplyTar(input, null);
        // Each file holds the hex of its own name: a file written under a wrong (U+FFFD) name would not match.
        var r = Run("sh", ["-c", "for f in ./*; do [ -f \"$f\" ] && [ ! -L \"$f\" ] && printf '%s\\0' \"$f\" && cat \"$f\" && printf '\\0'; done"], layer.DiffDir);
        var parts = Split(r.Out);
        Assert.True(parts.Count >= 2 * Names.Length, $"{parts.Count} parts");
        for (int i = 0; i + 1 < parts.Count; i += 2)
        {
            var name = parts[i][2..];
            if (name.AsSpan().StartsWith("hard-"u8)) continue;
            Assert.Equal(Hex(name).ToLowerInvariant(), Encoding.ASCII.GetString(parts[i + 1]));
        }
    }

    [Fact]
    public void A_damaged_tar_is_InvalidLayerTar_never_a_raw_exception()
    {
        var good = new TarBuilder().File("a", "hello").File("b", "world").Build();
        // A header checksum broken, a PAX record whose length lies, a stream cut inside the data.
        var badSum = (byte[])good.Clone();
        badSum[1024 + 148] ^= 0x01; // PAX: header 0, its records 512, the member's header 1024
        var cut = good[..(512 * 3 + 100)];
        foreach (var (what, tar) in new[] { ("checksum", badSum), ("cut", cut), ("pax", BadPax()) })
        {
            var e = Record.Exception(() => _store.ApplyTar(new MemoryStream(tar), null));
            Assert.True(e is PodShellException { ErrorId: "InvalidLayerTar" }, $"{what}: {e?.GetType().Name} {e?.Message} {Convert.ToHexString(tar[..64])} {tar.Length}");
        }
        Assert.Equal(new[] { "l" }, Directory.EnumerateFileSystemEntries(_store.Root).Select(Path.GetFileName));
    }

    [Fact]
    public void A_hard_link_header_with_a_size_has_no_data_after_it()
    {
        // Some writers put the target's size in a hard link's header; Go's archive/tar (containers/storage) reads
        // no data for header-only types, so the next header follows at once.
        var tar = new TarBuilder().File("a", "hello").HardLink("h", "a").File("b", "next").Build();
        int at = Enumerable.Range(0, tar.Length / 512).Select(i => i * 512).First(o => tar[o + 156] == (byte)'1');
        System.Text.Encoding.ASCII.GetBytes("00000000005\0").CopyTo(tar, at + 124);
        for (int i = 148; i < 156; i++) tar[at + i] = (byte)' ';
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += tar[at + i];
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, at + 148);

        var layer = _store.ApplyTar(new MemoryStream(tar), null);
        Assert.Equal("next", File.ReadAllText(layer.DiffDir + "/b"));
        Assert.Equal(2, (int)FileStatus.TryLStat(layer.DiffDir + "/h")!.Value.LinkCount);
    }

    private static byte[] BadPax()
    {
        var tar = new TarBuilder().File("a", "x", pax: new Dictionary<string, string> { ["path"] = "a" }).Build();
        // The first member is the PAX header; its first record starts at 512 with its length: make it lie.
        tar[512] = (byte)(tar[512] == '9' ? '8' : '9');
        return tar;
    }

    [Fact]
    public void An_empty_tar_with_padding_has_the_size_of_its_content_and_a_bomb_is_refused()
    {
        // An empty tar (the end marker) with 8 KiB of producer padding: a layer of 1024 bytes.
        var padded = new byte[1024 + 8192];
        var layer = _store.ApplyTar(new MemoryStream(padded), null);
        Assert.Equal(1024, layer.Size);
        Assert.Equal("sha256:" + TarBuilder.Sha256Hex(padded), layer.DiffId);

        // The same with 64 MiB of zeros, gzip'ed (64 KiB): refused before the stream is read to its end, nothing left.
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) z.Write(zeros);
        }
        gz.Position = 0;
        var e = Assert.Throws<PodShellException>(() => _store.ApplyTar(gz, null));
        Assert.Equal("LayerPaddingTooLarge", e.ErrorId);
        Assert.True(gz.Position < gz.Length, "the bomb was read to its end");
        Assert.Equal(new[] { "l", layer.Id }.Order(), Directory.EnumerateFileSystemEntries(_store.Root).Select(Path.GetFileName).Order());
    }
}

/// <summary>A fact that needs python3 (with tarfile) on the machine, skipped with the reason otherwise.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (!ByteNameTests.HavePython) Skip = "python3 with tarfile is needed to make and read tars independently of PodShell";
    }
}

public sealed class PythonTheoryAttribute : TheoryAttribute
{
    public PythonTheoryAttribute()
    {
        if (!ByteNameTests.HavePython) Skip = "python3 with tarfile is needed to make and read tars independently of PodShell";
    }
}
