using System.Text.Json.Nodes;
using PodShell.Engine.Cgroups;
using PodShell.Engine.Processes;

namespace PodShell.Engine.Containers;

/// <summary>A running container's figures and limits: statistics (from its cgroup, or summed over its processes when
/// it has no cgroup of its own), its processes, and live changes of its limits (podman update).</summary>
internal sealed class StatsService
{
    private readonly EngineContext _ctx;
    private readonly ContainerHandles _handles;
    private readonly ContainerRootfs _rootfs;

    public StatsService(EngineContext ctx, ContainerHandles handles, ContainerRootfs rootfs)
    {
        _ctx = ctx;
        _handles = handles;
        _rootfs = rootfs;
    }

    /// <summary>One raw sample of a running container (CpuPercent not yet computed).</summary>
    public ContainerStats Sample(string nameOrId)
    {
        var c = _handles.GetRunning(nameOrId, "its statistics");
        if (!_ctx.Host.OwnsCgroup(c)) return SampleFromProcesses(c, _ctx.Host.ContainerPids(c, _ctx.Cgroups));
        var cg = _ctx.Cgroups.Read(c.Pid);
        var (rx, tx) = ProcNetDev.Read(c.Pid);
        var (br, bw) = BlockIo.Of(cg);
        return new ContainerStats
        {
            ContainerId = c.Id,
            ContainerName = c.Name,
            Timestamp = DateTime.UtcNow,
            CpuUsage = cg.CpuUsage,
            MemoryUsage = cg.MemoryCurrent,
            MemoryLimit = cg.MemoryMax,
            MemoryPercent = cg.MemoryMax == long.MaxValue || cg.MemoryMax <= 0 ? 0 : Math.Round(100.0 * cg.MemoryCurrent / cg.MemoryMax, 2),
            PidsCurrent = cg.PidsCurrent,
            PidsLimit = cg.PidsMax,
            NetInputBytes = rx,
            NetOutputBytes = tx,
            BlockInputBytes = br,
            BlockOutputBytes = bw,
        };
    }

    /// <summary>CPU percent between two samples of the same container: CPU nanoseconds over wall nanoseconds.</summary>
    public static double CpuPercent(ContainerStats earlier, ContainerStats later)
    {
        double wall = (later.Timestamp - earlier.Timestamp).Ticks * 100.0;
        long cpu = later.CpuUsage - earlier.CpuUsage;
        return wall <= 0 || cpu < 0 ? 0 : Math.Round(cpu / wall * 100, 2);
    }

    /// <summary>Samples every <paramref name="interval"/>: one round (two samples apart, for the CPU figure)
    /// unless <paramref name="stream"/>, then rounds until cancelled. A container that stops is dropped
    /// from later rounds; <paramref name="onError"/> hears why.</summary>
    public IEnumerable<ContainerStats> Watch(IReadOnlyList<string> ids, bool stream, TimeSpan interval,
        Action<PodShellException>? onError = null, CancellationToken ct = default)
    {
        var previous = new Dictionary<string, ContainerStats>();
        var live = ids.ToList();
        foreach (var id in ids)
        {
            try { previous[id] = Sample(id); }
            catch (PodShellException e) { onError?.Invoke(e); live.Remove(id); }
        }
        while (live.Count > 0)
        {
            if (ct.WaitHandle.WaitOne(interval)) yield break;
            foreach (var id in live.ToList())
            {
                ContainerStats now;
                try { now = Sample(id); }
                catch (PodShellException e) { onError?.Invoke(e); live.Remove(id); continue; }
                now.CpuPercent = CpuPercent(previous[id], now);
                previous[id] = now;
                yield return now;
            }
            if (!stream) yield break;
        }
    }

    /// <summary>The processes in a running container's cgroup, read from /proc.</summary>
    public IReadOnlyList<ContainerProcess> ListProcesses(string nameOrId)
    {
        var c = _handles.GetRunning(nameOrId, "its processes");
        var rootfs = _rootfs.View(c.Id);
        var list = new List<ContainerProcess>();
        foreach (var pid in _ctx.Host.ContainerPids(c, _ctx.Cgroups))
        {
            if (ProcessTable.Read(pid, rootfs) is not { } proc) continue;
            _ctx.Host.ToInsideView(proc, rootfs);
            proc.ContainerId = c.Id;
            proc.ContainerName = c.Name;
            list.Add(proc);
        }
        return list;
    }

    /// <summary>Changes the limits of a running container (podman update): written to cgroupfs, where the
    /// kernel enforces them at once, then kept in the record and in config.json for the next start. Null
    /// leaves a limit as it is; long.MaxValue / +Infinity lift it. Returns the cgroup as read back.</summary>
    public ContainerCgroup SetResources(string nameOrId, long? memoryMax, double? cpus, long? pidsMax)
    {
        var c = _handles.GetRunning(nameOrId, "its live limits");
        if (!_ctx.Host.OwnsCgroup(c))
            throw new PodShellException(ErrorIds.LimitsNotEnforced, FailureKind.NotSupported,
                $"Container '{c.Name}' has no cgroup of its own, so its limits cannot be changed: {_ctx.Host.LimitsEnforcement.Reason}.", c);
        using var h = _handles.Open(c.Id);
        var cg = _ctx.Cgroups.Read(c.Pid);
        CgroupLimits.Apply(cg, memoryMax, cpus, pidsMax);
        // Compare-and-set on the state read under the lock: an exit folded meanwhile by a reader is kept, and the
        // new limits are written onto it (they hold for the next start).
        for (int attempt = 0; ; attempt++)
        {
            var r = h.Record;
            if (memoryMax is { } mem) r.Container.MemoryMax = mem;
            if (cpus is { } cpu) r.Container.Cpus = cpu;
            if (pidsMax is { } pids) r.Container.PidsMax = pids;
            if (h.TryUpdate(r.Container.State) || attempt >= 3 || h.Refresh() is null) break;
        }
        UpdateSpecResources(_ctx.PathsFor(c.Id).ConfigFile, h.Container);
        var after = _ctx.Cgroups.Read(c.Pid);
        after.ContainerId = c.Id;
        after.ContainerName = c.Name;
        return after;
    }

    // The runtime reads config.json at every start: keep linux.resources in step so the new limits survive a restart.
    private static void UpdateSpecResources(string configFile, Container c)
    {
        if (!File.Exists(configFile)) return;
        var root = JsonNode.Parse(File.ReadAllText(configFile)) as JsonObject;
        if (root is null) return;
        var linux = root["linux"] as JsonObject ?? new JsonObject();
        root["linux"] = linux;
        var res = linux["resources"] as JsonObject ?? new JsonObject();
        linux["resources"] = res;
        var memory = res["memory"] as JsonObject ?? new JsonObject();
        if (c.MemoryMax == long.MaxValue) { memory.Remove("limit"); memory.Remove("swap"); }
        else
        {
            memory["limit"] = c.MemoryMax;
        }
        res["memory"] = memory;
        var cpu = res["cpu"] as JsonObject ?? new JsonObject();
        if (double.IsPositiveInfinity(c.Cpus)) cpu.Remove("quota");
        else
        {
            long period = cpu["period"]?.GetValue<long>() ?? CgroupLimits.DefaultPeriod;
            cpu["period"] = period;
            cpu["quota"] = CgroupLimits.Quota(c.Cpus, period);
        }
        res["cpu"] = cpu;
        res["pids"] = new JsonObject { ["limit"] = c.PidsMax == long.MaxValue ? 0 : c.PidsMax };
        IO.AtomicFile.Write(configFile, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Statistics summed over the container's processes from /proc, for a container without a cgroup of its
    /// own: CPU time of the live processes, resident memory, the process count; no limits (none is enforced).</summary>
    private static ContainerStats SampleFromProcesses(Container c, IReadOnlyList<int> pids)
    {
        long cpu = 0, rss = 0;
        foreach (var pid in pids)
        {
            if (Processes.ProcessTable.Read(pid, null) is not { } proc) continue;
            cpu += proc.CpuTime.Ticks * 100; // nanoseconds
            rss += proc.MemoryRss;
        }
        var (rx, tx) = Processes.ProcNetDev.Read(c.Pid);
        return new ContainerStats
        {
            ContainerId = c.Id,
            ContainerName = c.Name,
            Timestamp = DateTime.UtcNow,
            CpuUsage = cpu,
            MemoryUsage = rss,
            MemoryLimit = long.MaxValue,
            PidsCurrent = pids.Count,
            PidsLimit = long.MaxValue,
            NetInputBytes = rx,
            NetOutputBytes = tx,
        };
    }
}
