using PodShell.Engine.Containers;
using PodShell.Engine.Linux;
using PodShell.Engine.Overlay;

namespace PodShell.Engine.Tests.EngineFacade;

/// <summary>A real engine on private roots and a private cgroup parent, with a busybox image imported.
/// Dispose removes every container, cgroup directory, mount and file it made.</summary>
public sealed class EngineFixture : IDisposable
{
    public string Root { get; }
    public string CgroupParent { get; }
    public ContainerEngine Engine { get; }
    public ContainerImage Image { get; }
    public string RootfsDir => Path.Combine(Root, "rootfs");

    private static readonly string[] Applets = { "sh", "sleep", "echo", "hostname", "cat", "ps", "true" };

    public EngineFixture()
    {
        Root = Directory.CreateTempSubdirectory("podshell-xunit-e2e-").FullName;
        CgroupParent = "podshell-xunit-" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            BuildBusybox(RootfsDir);
            Engine = new ContainerEngine(new EngineOptions(Path.Combine(Root, "graph"), Path.Combine(Root, "run"), CgroupParent));
            Image = Engine.ImportImage(RootfsDir, "busybox");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static void BuildBusybox(string rootfs)
    {
        foreach (var d in new[] { "bin", "proc", "sys", "dev", "etc", "tmp", "root" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var a in Applets) File.CreateSymbolicLink(Path.Combine(rootfs, "bin", a), "busybox");
    }

    /// <summary>Mount points under this fixture's root, from the host's mount table.</summary>
    public List<string> MountsUnderRoot() =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(m => m == Root || m.StartsWith(Root + "/"))
            .ToList();

    /// <summary>The cgroup directories created under this fixture's parent, in every hierarchy.</summary>
    public List<string> CgroupDirs() =>
        Directory.Exists("/sys/fs/cgroup")
            ? Directory.GetDirectories("/sys/fs/cgroup")
                .Select(h => Path.Combine(h, CgroupParent))
                .Where(Directory.Exists)
                .ToList()
            : new List<string>();

    public void Dispose()
    {
        if (Engine != null)
        {
            foreach (var r in SafeList())
            {
                try { Engine.RemoveContainer(r.Container.Id, force: true); } catch (Exception) { }
                // conmon exits with its container; if one survived, it is ours (its cmdline names the id).
                if (r.ConmonPid > 0 && ProcStat.IsAlive(r.ConmonPid, 0) && CmdlineMentions(r.ConmonPid, r.Container.Id))
                    ProcStat.Signal(r.ConmonPid, 9);
            }
        }

        foreach (var dir in CgroupDirs())
        {
            var children = Directory.GetDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length);
            foreach (var c in children.Append(dir))
                try { Directory.Delete(c, recursive: false); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        foreach (var m in MountsUnderRoot().OrderByDescending(m => m.Length))
            try { OverlayMount.Unmount(m); } catch (Exception) { }

        // Never delete through a mount that could not be undone.
        if (MountsUnderRoot().Count == 0)
            try { Directory.Delete(Root, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private List<ContainerRecord> SafeList()
    {
        try { return Engine.Store.ListContainers(); } catch (Exception) { return new(); }
    }

    private static bool CmdlineMentions(int pid, string text)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(text); }
        catch (IOException) { return false; }
    }
}
