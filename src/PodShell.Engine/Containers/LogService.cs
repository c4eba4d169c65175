namespace PodShell.Engine.Containers;

/// <summary>A container's output (podman logs): conmon's k8s-file log and its rotated generation, read whole, from a
/// tail, or followed until the container exits.</summary>
internal sealed class LogService
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;

    public LogService(EngineContext ctx, ContainerHandles handles)
    {
        _ctx = ctx;
        _handles = handles;
    }

    /// <summary>The longest a follower sleeps without news. Changes to the log wake it at once (inotify,
    /// through FileSystemWatcher); the poll is the fallback for a watcher that lost events (overflow)
    /// and for noticing an exit.</summary>
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The container's output from conmon's k8s-file log (the rotated file ctr.log.1, then
    /// ctr.log), oldest first (podman logs). <paramref name="since"/> keeps entries at or after that time
    /// (an Unspecified kind is local time); <paramref name="tail"/> (when &gt;= 0) keeps the last N, read
    /// backwards from the end of the file, so it costs those N lines whatever the log's size. Without a
    /// tail the log is streamed, a batch of entries at a time. With <paramref name="follow"/> and a running
    /// container the enumeration blocks, yielding lines as conmon writes them, and ends when the container
    /// has exited and its last output is read; cancelling <paramref name="ct"/> ends it with
    /// OperationCanceledException.</summary>
    public IEnumerable<ContainerLogEntry> Read(string nameOrId, int tail = -1, DateTime? since = null, bool follow = false, CancellationToken ct = default)
    {
        var c = _handles.Get(nameOrId);
        var sinceUtc = since is { } s ? (s.Kind == DateTimeKind.Utc ? s : s.ToUniversalTime()) : DateTime.MinValue;
        var path = _ctx.PathsFor(c.Id).LogFile;
        bool live = c.State is ContainerState.Running or ContainerState.Stopping or ContainerState.Starting;
        // Every read is a chance to keep the generation conmon would otherwise drop at its next replacement.
        if (live) LogRotation.KeepCurrent(path, c.LogSizeMax);
        var joiner = new K8sRecordJoiner();
        using var follower = new K8sFileLogFollower(path, joiner);

        bool running = follow && IsRunningForLogs(c.Id, c.State);
        if (tail >= 0)
        {
            foreach (var e in TailOf(path, follower, joiner, tail, forFollow: running))
                if (e.Time >= sinceUtc) yield return Stamp(e, c);
        }
        else
        {
            foreach (var e in K8sFileLog.ReadRotated(path, joiner))
                if (e.Time >= sinceUtc) yield return Stamp(e, c);
            List<ContainerLogEntry> batch;
            while ((batch = follower.ReadAvailable(K8sFileLogFollower.BatchSize)).Count > 0)
                foreach (var e in batch)
                    if (e.Time >= sinceUtc) yield return Stamp(e, c);
            if (!running)
                foreach (var e in follower.Flush())
                    if (e.Time >= sinceUtc) yield return Stamp(e, c);
        }
        if (!running) yield break;

        // At the size limit conmon replaces ctr.log: a follower must get to the new one before it is
        // itself replaced, so it waits on the directory, not on a timer.
        using var changed = new AutoResetEvent(false);
        using var watcher = WatchLog(path, changed);
        // A container that writes nothing would otherwise be seen to exit only at the next poll.
        using var exitWatcher = WatchExit(_ctx.PathsFor(c.Id), changed);
        var wait = new WaitHandle[] { changed, ct.WaitHandle };
        for (int poll = 1; ; poll++)
        {
            ct.ThrowIfCancellationRequested();
            // Decided before reading: conmon drains the container's pipes and syncs the log before it
            // writes the exit file, so a read after seeing it exit gets the last line.
            bool exited = File.Exists(_ctx.PathsFor(c.Id).ExitFile)
                || (poll % 8 == 0 && !IsRunningForLogs(c.Id, null));
            var batch = follower.ReadAvailable(K8sFileLogFollower.BatchSize);
            bool caughtUp = batch.Count == 0;
            // Only once everything is read: a batch cut at its size may have more behind it.
            if (exited && caughtUp) batch.AddRange(follower.Flush());
            foreach (var e in batch)
                if (e.Time >= sinceUtc) yield return Stamp(e, c);
            if (exited && caughtUp) yield break;
            if (!caughtUp) LogRotation.KeepCurrent(path, c.LogSizeMax);
            else if (WaitHandle.WaitAny(wait, LogPollInterval) == 1)
                ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The last <paramref name="count"/> entries of the rotated and current files. For a
    /// follower, the current file stays open in <paramref name="follower"/>, which goes on from where the
    /// tail read ended, with the partial lines found there handed to <paramref name="joiner"/>.</summary>
    private static List<ContainerLogEntry> TailOf(string path, K8sFileLogFollower follower, K8sRecordJoiner joiner, int count, bool forFollow)
    {
        FileStream? rotated = null;
        try
        {
            var current = follower.OpenNow();
            var sources = new List<K8sFileLogTail.Source>();
            if (LogRotation.IsSeparateGeneration(path))
            {
                try
                {
                    rotated = new FileStream(LogRotation.RotatedPath(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                    sources.Add(new(rotated, rotated.Length, Current: false));
                }
                catch (FileNotFoundException) { } // rotated away in between
            }
            long end = current?.Length ?? 0;
            if (current is not null) sources.Add(new(current, end, Current: true));
            var r = K8sFileLogTail.Read(sources, count, forFollow);
            if (forFollow)
            {
                foreach (var (stream, time, text) in r.Unfinished) joiner.Seed(stream, time, text);
                if (current is not null) follower.Resume(end, r.Pending);
            }
            return r.Entries;
        }
        finally { rotated?.Dispose(); }
    }

    private static FileSystemWatcher? WatchExit(Runtime.ContainerPaths paths, AutoResetEvent changed)
    {
        try
        {
            Directory.CreateDirectory(paths.ExitsDir);
            var w = new FileSystemWatcher(paths.ExitsDir, paths.Id) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
            w.Created += (_, _) => changed.Set();
            w.Renamed += (_, _) => changed.Set();
            w.EnableRaisingEvents = true;
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null; // the poll still notices the exit
        }
    }

    private static FileSystemWatcher? WatchLog(string path, AutoResetEvent changed)
    {
        try
        {
            var w = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
                IncludeSubdirectories = false,
            };
            FileSystemEventHandler on = (_, _) => changed.Set();
            w.Changed += on;
            w.Created += on;
            w.Renamed += (_, _) => changed.Set();
            w.Error += (_, _) => changed.Set();
            w.EnableRaisingEvents = true;
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // Out of inotify watches (fs.inotify.max_user_watches): polling still works, only slower.
            return null;
        }
    }

    private bool IsRunningForLogs(string id, ContainerState? known)
    {
        try
        {
            var state = known ?? _handles.Get(id).State;
            return state is ContainerState.Running or ContainerState.Stopping or ContainerState.Starting;
        }
        catch (PodShellException e) when (e.ErrorId == ErrorIds.ContainerNotFound)
        {
            return false; // removed while we followed it
        }
    }

    private static ContainerLogEntry Stamp(ContainerLogEntry e, Container c)
    {
        e.ContainerId = c.Id;
        e.ContainerName = c.Name;
        return e;
    }
}
