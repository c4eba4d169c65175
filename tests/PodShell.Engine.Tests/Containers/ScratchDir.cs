namespace PodShell.Engine.Tests.Containers;

/// <summary>A temporary directory removed with everything in it when disposed.</summary>
internal sealed class ScratchDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("podshell-xunit-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine(new[] { Path }.Concat(parts).ToArray());

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
