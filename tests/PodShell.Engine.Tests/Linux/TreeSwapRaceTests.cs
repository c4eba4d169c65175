using System.Formats.Tar;
using System.Text;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Overlay;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Linux;

/// <summary>Issue 15: the tar writer of export and commit walks a tree a container can change, while a thread
/// swaps a directory of that tree for a symlink to a host directory as fast as rename(2) goes. The walk that
/// stat'ed a path and then opened it by path put the host's files in the tar a few times in 4000 walks; a walk by
/// descriptor never does.</summary>
public sealed class TreeSwapRaceTests : IDisposable
{
    private readonly TempDir _temp = new("swaprace");
    private readonly string _tree;
    private readonly string _host;
    private const string HostMarker = "host-secret-content";

    public TreeSwapRaceTests()
    {
        _tree = Path.Combine(_temp.Path, "tree");
        _host = Path.Combine(_temp.Path, "host");
        Directory.CreateDirectory(Path.Combine(_tree, "d"));
        File.WriteAllText(Path.Combine(_tree, "d/file"), "container");
        Directory.CreateDirectory(_host);
        File.WriteAllText(Path.Combine(_host, "file"), HostMarker);
        File.WriteAllText(Path.Combine(_host, "host-only-name"), HostMarker);
        File.CreateSymbolicLink(Path.Combine(_tree, "dlink"), _host);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Runs <paramref name="walk"/> <paramref name="tries"/> times while a thread swaps /d with /dlink;
    /// returns how many walks saw the host.</summary>
    private int Race(int tries, Func<bool> walk)
    {
        using var stop = new CancellationTokenSource();
        string d = Path.Combine(_tree, "d"), dt = Path.Combine(_tree, "dt"), dlink = Path.Combine(_tree, "dlink");
        long swaps = 0;
        var swapper = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Directory.Move renames a link to a directory as the link (rename(2) never follows).
                try
                {
                    Directory.Move(d, dt);
                    Directory.Move(dlink, d);
                    Directory.Move(d, dlink);
                    Directory.Move(dt, d);
                    swaps++;
                }
                catch (IOException) { }
            }
        }) { IsBackground = true };
        swapper.Start();
        int leaks = 0;
        try
        {
            for (int i = 0; i < tries; i++)
            {
                try { if (walk()) leaks++; }
                catch (IOException) { } // a walk may meet a name that was renamed away: only leaks count
                catch (UnauthorizedAccessException) { }
            }
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }
        Assert.True(swaps > 100, $"the swapper ran {swaps} times");
        return leaks;
    }

    [Fact]
    public void ATarOfTheTreeNeverHoldsTheHostsFiles()
    {
        int leaks = Race(4000, () =>
        {
            using var tar = new MemoryStream();
            DiffTarWriter.Write(_tree, tar);
            tar.Position = 0;
            using var reader = new TarReader(tar);
            bool leaked = false;
            while (reader.GetNextEntry() is { } e)
            {
                if (e.Name.Contains("host-only-name")) leaked = true;
                if (e.DataStream is { } data && new StreamReader(data, Encoding.UTF8).ReadToEnd() == HostMarker) leaked = true;
            }
            return leaked;
        });
        Assert.Equal(0, leaks);
    }
}
