using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>Who is using a container's rootfs mount outside a run (a copy, an export, the fold of an exit that is about
/// to unmount it): one empty file per hold, named "pid-starttime-nonce", in a directory of the container's run dir.
/// A pwsh killed while it holds the mount leaves its file behind, and its owner is then provably dead (pids are
/// reused, start times are not), so the next reconcile can unmount what nobody uses; a live holder's mount (another
/// process copying right now) is left alone. The directory exists only while a hold is pending, so a reconcile's test
/// is one stat. Callers serialize Add/Release/CountLive of one container with its mount lock.</summary>
internal static class MountHolders
{
    public static string Dir(string runDir) => Path.Combine(runDir, "rootfs-holders");

    /// <summary>Records this process as a holder; returns the hold's file, for <see cref="Release"/>. Without
    /// <paramref name="createRunDir"/>, null when the container's run dir is gone (removed by another process since
    /// the caller read the record): a hold must not bring the directory back.</summary>
    public static string? Add(string dir, bool createRunDir = true)
    {
        var self = ProcStat.Self();
        if (!createRunDir && !Directory.Exists(Path.GetDirectoryName(dir))) return null;
        Directory.CreateDirectory(dir);
        // A nonce: the same process may hold twice (two threads copying), and each lets go of its own hold.
        var file = Path.Combine(dir, $"{self.Pid}-{self.Start}-{Guid.NewGuid():N}");
        File.WriteAllBytes(file, Array.Empty<byte>());
        return file;
    }

    public static void Release(string file)
    {
        try { File.Delete(file); }
        catch (DirectoryNotFoundException) { } // the container's run dir went with its removal
    }

    /// <summary>Holders whose process still lives; the files of dead ones are deleted on the way.</summary>
    public static int CountLive(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        int live = 0;
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var parts = Path.GetFileName(file).Split('-');
            bool alive = parts.Length == 3 && int.TryParse(parts[0], out var pid) && ulong.TryParse(parts[1], out var start)
                && ProcStat.IsAlive(pid, start);
            if (alive) live++;
            else try { File.Delete(file); } catch (IOException) { }
        }
        return live;
    }

    /// <summary>No hold is pending: the directory goes, so the next reconcile has nothing to look at.</summary>
    public static void Clear(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
