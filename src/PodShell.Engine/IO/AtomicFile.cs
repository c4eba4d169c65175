using System.Text;

namespace PodShell.Engine.IO;

/// <summary>Write-to-temp-then-rename: a reader (another pwsh, conmon, runc) sees the old file or the new one,
/// never half of one. The temp name carries the pid so two writers never share a temp file.</summary>
internal static class AtomicFile
{
    public static void Write(string path, byte[] bytes)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    public static void Write(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));
}
