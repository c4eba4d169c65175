namespace PodShell.Engine;

/// <summary>A layer of an image being registered: its blob as received (compressed or not).</summary>
public sealed record LayerBlob(string Digest, string MediaType, long Size);
