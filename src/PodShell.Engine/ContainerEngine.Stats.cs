using System.Text.Json.Nodes;
using PodShell.Engine.Cgroups;
using PodShell.Engine.Processes;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>One raw sample of a running container (CpuPercent not yet computed).</summary>
    public ContainerStats SampleStats(string nameOrId)
    {
        var c = RequireRunning(nameOrId, "its statistics");
        if (!OwnsCgroup(c)) return SampleFromProcesses(c);
        var cg = Cgroups.Read(c.Pid);
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
    public IEnumerable<ContainerStats> GetStats(IReadOnlyList<string> ids, bool stream, TimeSpan interval,
        Action<PodShellException>? onError = null, CancellationToken ct = default)
    {
        var previous = new Dictionary<string, ContainerStats>();
        var live = ids.ToList();
        foreach (var id in ids)
        {
            try { previous[id] = SampleStats(id); }
            catch (PodShellException e) { onError?.Invoke(e); live.Remove(id); }
        }
        while (live.Count > 0)
        {
            if (ct.WaitHandle.WaitOne(interval)) yield break;
            foreach (var id in live.ToList())
            {
                ContainerStats now;
                try { now = SampleStats(id); }
                catch (PodShellException e) { onError?.Invoke(e); live.Remove(id); continue; }
                now.CpuPercent = CpuPercent(previous[id], now);
                previous[id] = now;
                yield return now;
            }
            if (!stream) yield break;
        }
    }

    /// <summary>The processes in a running container's cgroup, read from /proc.</summary>
    public IReadOnlyList<ContainerProcess> GetProcesses(string nameOrId)
    {
        var c = RequireRunning(nameOrId, "its processes");
        var rootfs = RootfsView(c.Id);
        var list = new List<ContainerProcess>();
        foreach (var pid in ContainerPids(c))
        {
            if (ProcessTable.Read(pid, rootfs) is not { } proc) continue;
            if (c.Rootless && UserNamespace is { } ns)
            {
                // /proc shows host ids; the container knows its user as 0 and its range as 1..n.
                proc.Uid = (uint)Rootless.SubordinateIds.InsideId(proc.Uid, ns.Uid, ns.Ranges().Uids);
                proc.User = ProcessTable.UserName(rootfs, proc.Uid);
            }
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
        var c = RequireRunning(nameOrId, "its live limits");
        if (!OwnsCgroup(c))
            throw new PodShellException("LimitsNotEnforced", FailureKind.NotSupported,
                $"Container '{c.Name}' has no cgroup of its own, so its limits cannot be changed: {LimitsEnforcement.Reason}.", c);
        using var _ = LockContainer(c.Id, default);
        var r = Store.GetContainer(c.Id) ?? throw NotFound(c.Id);
        var cg = Cgroups.Read(c.Pid);
        CgroupLimits.Apply(cg, memoryMax, cpus, pidsMax);
        if (memoryMax is { } mem) r.Container.MemoryMax = mem;
        if (cpus is { } cpu) r.Container.Cpus = cpu;
        if (pidsMax is { } pids) r.Container.PidsMax = pids;
        Store.UpdateContainer(r);
        UpdateSpecResources(PathsFor(c.Id).ConfigFile, r.Container);
        var after = Cgroups.Read(c.Pid);
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
        AtomicWrite(configFile, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
