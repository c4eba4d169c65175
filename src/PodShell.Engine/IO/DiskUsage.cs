using PodShell.Engine.Linux;

namespace PodShell.Engine.IO;

/// <summary>Bytes of the regular files under a directory, walked by descriptor.</summary>
internal static class DiskUsage
{
    /// <summary>0 for a missing or unreadable directory. A container's upper dir changes while it runs: it is walked
    /// by descriptor, so a directory swapped for a link to the host mid-walk is not followed (issue 15).</summary>
    public static long Of(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        try
        {
            using var top = DirectoryHandle.Open(dir);
            return Of(top);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    private static long Of(DirectoryHandle dir)
    {
        long total = 0;
        List<string> names;
        try { names = dir.Names(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var name in names)
        {
            if (dir.StatAt(name) is not { } st) continue;
            if (st.IsRegularFile) total += st.Size;
            else if (st.IsDirectory)
            {
                try
                {
                    using var sub = dir.OpenDirectoryAt(name);
                    total += Of(sub);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        return total;
    }
}
