using PodShell.Engine.Images;
using PodShell.Engine.Tests.Layers;

namespace PodShell.Engine.Tests.Registry;

/// <summary>Issue 15: temp files ("&lt;pid&gt;-...") of a killed pull, import or commit are removed; a live writer's stay.</summary>
public sealed class BlobStoreTempTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BlobStore _blobs;

    public BlobStoreTempTests() => _blobs = new BlobStore(Path.Combine(_temp.Path, "blobs"));

    public void Dispose() => _temp.Dispose();

    private string Tmp(string name)
    {
        string f = Path.Combine(_blobs.Root, "tmp", name);
        File.WriteAllText(f, "partial");
        return f;
    }

    [Fact]
    public void RemoveStaleTemp_RemovesDeadWritersAndPidReuse_KeepsALiveWriter()
    {
        using var p = System.Diagnostics.Process.Start("true")!;
        p.WaitForExit();
        string dead = Tmp($"{p.Id}-commit-{Guid.NewGuid():N}.tar");
        string live = Tmp($"{Environment.ProcessId}-{Guid.NewGuid():N}");
        // Our pid, but untouched for longer than any write takes: the pid was reused by a later process.
        string reused = Tmp($"{Environment.ProcessId}-layer-{Guid.NewGuid():N}");
        File.SetLastWriteTimeUtc(reused, DateTime.UtcNow - BlobStore.StaleTempAge - TimeSpan.FromMinutes(1));
        string unnamed = Tmp("no-owner");

        Assert.Equal(1, _blobs.RemoveStaleTemp());

        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(reused));
        Assert.False(File.Exists(unnamed));
        Assert.True(File.Exists(live));
    }
}
