using PodShell.Engine.Rootless;
using PodShell.Engine.Tests.Containers;

namespace PodShell.Engine.Tests.Rootless;

public sealed class SubordinateIdsTests : IDisposable
{
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(params string[] lines)
    {
        var file = _dir.Combine("subuid-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, string.Join('\n', lines) + "\n");
        return file;
    }

    [Fact]
    public void Find_MatchesTheUserName()
    {
        var file = Write("alice:100000:65536", "bob:165536:65536");
        Assert.Equal(new SubordinateRange(165536, 65536), SubordinateIds.Find(file, "bob", 1002));
        Assert.Equal(new SubordinateRange(100000, 65536), SubordinateIds.Find(file, "alice", 1001));
    }

    [Fact]
    public void Find_MatchesTheNumericId_WithOrWithoutAName()
    {
        var file = Write("alice:100000:65536", "1002:200000:1000");
        Assert.Equal(new SubordinateRange(200000, 1000), SubordinateIds.Find(file, "bob", 1002));
        Assert.Equal(new SubordinateRange(200000, 1000), SubordinateIds.Find(file, null, 1002));
        // A name that only looks like someone else's id is not a match by name.
        Assert.Null(SubordinateIds.Find(file, null, 1001));
    }

    [Fact]
    public void Find_NameOfAnotherUser_IsNotAPrefixMatch()
    {
        var file = Write("alice2:100000:65536", "alic:300000:10");
        Assert.Null(SubordinateIds.Find(file, "alice", 1001));
    }

    [Fact]
    public void Find_SkipsCommentsBlankAndMalformedLines()
    {
        var file = Write(
            "# alice:1:1",
            "",
            "   ",
            "alice:100000",                // two fields
            "alice:100000:65536:extra",    // four fields
            "alice:x:65536",               // start not a number
            "alice:-5:65536",              // sign not allowed
            "alice:100000:0",              // empty range
            "alice:100000:abc",            // count not a number
            "  alice:500000:42  ");        // surrounding blanks are trimmed
        Assert.Equal(new SubordinateRange(500000, 42), SubordinateIds.Find(file, "alice", 1001));
    }

    [Fact]
    public void Find_FirstValidRangeWins()
    {
        var file = Write("1001:700000:5", "alice:100000:65536", "alice:900000:65536");
        Assert.Equal(new SubordinateRange(700000, 5), SubordinateIds.Find(file, "alice", 1001));
        var byName = Write("alice:100000:65536", "1001:700000:5");
        Assert.Equal(new SubordinateRange(100000, 65536), SubordinateIds.Find(byName, "alice", 1001));
    }

    [Fact]
    public void Find_NoEntryOrMissingFile_IsNull()
    {
        Assert.Null(SubordinateIds.Find(Write("alice:100000:65536"), "carol", 1003));
        Assert.Null(SubordinateIds.Find(Write(""), "alice", 1001));
        Assert.Null(SubordinateIds.Find(_dir.Combine("no-such-file"), "alice", 1001));
    }

    [Fact]
    public void HostId_MapsZeroToTheUser_AndOneToCountIntoTheRange()
    {
        var range = new SubordinateRange(100000, 65536);
        Assert.Equal(1000L, SubordinateIds.HostId(0, 1000, range));
        Assert.Equal(100000L, SubordinateIds.HostId(1, 1000, range));
        Assert.Equal(100999L, SubordinateIds.HostId(1000, 1000, range));
        Assert.Equal(165535L, SubordinateIds.HostId(65536, 1000, range));
        Assert.Null(SubordinateIds.HostId(65537, 1000, range));
        Assert.Null(SubordinateIds.HostId(-1, 1000, range));
    }

    [Fact]
    public void HostId_SmallRange_Edges()
    {
        var range = new SubordinateRange(5000, 1);
        Assert.Equal(42L, SubordinateIds.HostId(0, 42, range));
        Assert.Equal(5000L, SubordinateIds.HostId(1, 42, range));
        Assert.Null(SubordinateIds.HostId(2, 42, range));
    }

    [Fact]
    public void InsideId_IsTheInverseOfHostId_AndUnmappedIsOverflow()
    {
        var range = new SubordinateRange(100000, 65536);
        foreach (var inside in new long[] { 0, 1, 1000, 65536 })
            Assert.Equal(inside, SubordinateIds.InsideId(SubordinateIds.HostId(inside, 1000, range)!.Value, 1000, range));
        Assert.Equal(65534, SubordinateIds.InsideId(0, 1000, range));      // host root is not mapped
        Assert.Equal(65534, SubordinateIds.InsideId(99999, 1000, range));  // just below the range
        Assert.Equal(65534, SubordinateIds.InsideId(165536, 1000, range)); // just above it
    }

    [Fact]
    public void MapArguments_AreTheNewuidmapTriples()
    {
        Assert.Equal(new[] { "4242", "0", "1000", "1", "1", "100000", "65536" },
            SubordinateIds.MapArguments(4242, 1000, new SubordinateRange(100000, 65536)));
    }

    [Fact]
    public void MapArguments_AgreeWithHostId()
    {
        // "0 own 1" then "1 start count": the same mapping HostId computes.
        var range = new SubordinateRange(300000, 10);
        var a = SubordinateIds.MapArguments(1, 77, range).Skip(1).Select(long.Parse).ToArray();
        for (long inside = 0; inside <= 11; inside++)
        {
            long? expected = null;
            for (int i = 0; i < a.Length; i += 3)
                if (inside >= a[i] && inside < a[i] + a[i + 2]) expected = a[i + 1] + inside - a[i];
            Assert.Equal(expected, SubordinateIds.HostId(inside, 77, range));
        }
    }

    [Fact]
    public void FileNames_AreTheShadowUtilsOnes()
    {
        Assert.Equal("/etc/subuid", SubordinateIds.UidFile);
        Assert.Equal("/etc/subgid", SubordinateIds.GidFile);
    }
}
