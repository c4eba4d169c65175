using System.Formats.Tar;
using System.Text;
using PodShell.Engine.Images.Archive;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Linux;

/// <summary>Issue 15: walkers of a tree a container can change (the tar writer of export and commit, the changes
/// of Get-ContainerChange and the commit filter) while a thread swaps a directory of that tree with a symlink to a
/// host directory (renameat2 RENAME_EXCHANGE, as a hostile container can). The walks that stat'ed a path and then
/// opened it by path put host files in the tar (3 to 15 times in 4000 walks) and host names in the changes (1-2 in
/// 4000); a walk by descriptor never does.</summary>
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
        for (int i = 0; i < 20; i++) File.WriteAllText(Path.Combine(_host, $"host-only-name-{i}"), HostMarker);
        File.CreateSymbolicLink(Path.Combine(_tree, "dlink"), _host);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Runs <paramref name="walk"/> <paramref name="tries"/> times while a thread swaps /d with /dlink;
    /// returns how many walks saw the host.</summary>
    private int Race(int tries, Func<bool> walk, TimeSpan hold = default)
    {
        using var stop = new CancellationTokenSource();
        string d = Path.Combine(_tree, "d"), dlink = Path.Combine(_tree, "dlink");
        long swaps = 0;
        var swapper = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // One atomic exchange: /d is a directory or a link to the host, never missing, as a container
                // would do it with renameat2.
                try
                {
                    RenameExchange.Swap(d, dlink);
                    Hold(hold);
                    RenameExchange.Swap(d, dlink);
                    Hold(hold);
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

    // Keeps a state for a while without sleeping (a sleep is a millisecond at least).
    private static void Hold(TimeSpan time)
    {
        if (time <= TimeSpan.Zero) return;
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
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

    [Fact]
    public void ChangesOfTheTreeNeverNameTheHostsFiles()
    {
        // The old walk let this through about once in 2000 walks (it must list the directory while it is the link
        // and stat a name before the next swap), the tar writer about once in 300.
        int leaks = Race(20000, () =>
            OverlayChanges.Read(_tree, Array.Empty<string>()).Any(c => c.Path.Contains("host-only-name")));
        Assert.Equal(0, leaks);
    }
}
