using PodShell.Engine.Linux;

namespace PodShell.Engine.Containers;

/// <summary>One rotated file, ctr.log.1, next to conmon's ctr.log (the kubelet's container-log-max-files=2).
///
/// conmon 2.1.6 does not rotate: at --log-size-max it fsyncs ctr.log, writes a new ctr.log.tmp and
/// renames it over ctr.log, so the old content is gone the moment the rename unlinks it. Its byte count
/// starts at 0 with each conmon, whatever the file already holds (it opens with O_APPEND), so a file that
/// holds S bytes at a start can grow to S + limit before conmon first replaces it. The engine works with
/// that at the two moments it can act:
/// <list type="bullet">
/// <item>before conmon starts, a ctr.log holding half the limit or more is renamed to ctr.log.1 (no writer
/// has it open); a smaller one is appended to, as podman does, so a container restarted now and then keeps
/// the output of all its runs. ctr.log therefore stays under 1.5 times the limit;</item>
/// <item>while conmon runs, whenever the engine reads the log and ctr.log holds half the limit or more,
/// ctr.log.1 becomes a second name of ctr.log (a hard link). When conmon later renames its new file
/// over ctr.log, the old inode lives on as ctr.log.1: that is the rotation, without stopping conmon.</item>
/// </list>
/// Disk use stays under three times the limit (twice for a container's first run). What is lost: a
/// generation conmon fills and replaces while nobody reads the log (between two reads a runaway writer can
/// replace the file many times; only the generation linked at the last read and the current one are kept).</summary>
public static class LogRotation
{
    public static string RotatedPath(string path) => path + ".1";

    /// <summary>True when ctr.log.1 exists and is not ctr.log under a second name.</summary>
    public static bool IsSeparateGeneration(string path)
    {
        if (FileStatus.TryLStat(RotatedPath(path)) is not { IsRegularFile: true } rotated) return false;
        return FileStatus.TryLStat(path) is not { } current
            || (current.Inode, current.DevMajor, current.DevMinor) != (rotated.Inode, rotated.DevMajor, rotated.DevMinor);
    }

    /// <summary>Before conmon opens the log: with a limit, move a log holding half of it or more aside
    /// (replacing the older rotated file), so the file conmon appends to holds less than half the limit.</summary>
    public static void BeforeStart(string path, long sizeMax)
    {
        if (sizeMax == long.MaxValue) return;
        if (FileStatus.TryLStat(path) is not { } st || st.Size == 0 || st.Size < sizeMax / 2) return;
        File.Move(path, RotatedPath(path), overwrite: true);
    }

    /// <summary>While conmon writes: make ctr.log.1 a second name of ctr.log once it holds half the limit
    /// or more, so conmon's next replacement keeps it. True when it did.</summary>
    public static bool KeepCurrent(string path, long sizeMax)
    {
        if (sizeMax == long.MaxValue) return false;
        if (FileStatus.TryLStat(path) is not { } current || current.Size < sizeMax / 2 || current.LinkCount > 1) return false;
        var rotated = RotatedPath(path);
        // link(2) does not replace: link to a temporary name, then rename it over the rotated file.
        var tmp = rotated + ".tmp-" + Environment.ProcessId;
        try
        {
            File.Delete(tmp);
            FileNodes.Link(path, tmp);
            File.Move(tmp, rotated, overwrite: true);
            // rename(2) between two names of one inode does nothing and leaves the temporary name.
            File.Delete(tmp);
            return true;
        }
        catch (IOException)
        {
            // conmon replaced the file in between, or the directory is gone (removed): the next read tries again.
            try { File.Delete(tmp); } catch (IOException) { }
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
