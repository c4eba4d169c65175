namespace PodShell.Engine.Layers;

/// <summary>How owners on disk become owners in a tar. Identity for root's store; for a rootless store the host
/// ids of its user namespace are mapped back to the ids inside (the user is 0, its subordinate range 1..n), so a
/// committed, exported or pushed layer says root where the container saw root.</summary>
public sealed record OwnerMap(Func<int, int> Uid, Func<int, int> Gid)
{
    public static readonly OwnerMap Identity = new(u => u, g => g);
}
