using System.Diagnostics;
using PodShell.Engine.Namespaces;

namespace PodShell.Engine.Tests.Namespaces;

public class NamespaceInspectorTests
{
    [Fact]
    public void Inspect_OwnProcessSharesEveryNamespaceWithHost()
    {
        var pid = Environment.ProcessId;
        var namespaces = NamespaceInspector.Inspect(pid);

        Assert.True(namespaces.Count >= 6);
        foreach (var type in new[] { "mnt", "uts", "ipc", "pid", "net", "user" })
            Assert.Contains(namespaces, n => n.Type == type);
        Assert.All(namespaces, n =>
        {
            Assert.True(n.SharedWithHost, n.Type);
            Assert.Equal(n.HostInode, n.Inode);
            Assert.True(n.Inode > 0);
            Assert.Equal(pid, n.Pid);
            Assert.Equal($"/proc/{pid}/ns/{n.Type}", n.Path);
        });
    }

    [MachineFact(Needs.Root)]
    public void Inspect_UnsharedChildHasOwnUtsAndIpcButHostNet()
    {
        var unshare = Process.Start(new ProcessStartInfo("unshare", "--uts --ipc --fork sleep 30") { UseShellExecute = false })!;
        int sleeper = 0;
        try
        {
            sleeper = FindChild(unshare.Id);
            var host = NamespaceInspector.Inspect(Environment.ProcessId).ToDictionary(n => n.Type);
            var ns = NamespaceInspector.Inspect(sleeper).ToDictionary(n => n.Type);

            Assert.False(ns["uts"].SharedWithHost);
            Assert.False(ns["ipc"].SharedWithHost);
            Assert.NotEqual(host["uts"].Inode, ns["uts"].Inode);
            Assert.NotEqual(host["ipc"].Inode, ns["ipc"].Inode);
            Assert.Equal(host["uts"].Inode, ns["uts"].HostInode);
            Assert.True(ns["net"].SharedWithHost);
            Assert.Equal(host["net"].Inode, ns["net"].Inode);
            Assert.True(ns["mnt"].SharedWithHost);
        }
        finally
        {
            // The sleeper is unshare's child: end it first (unshare then exits), then unshare itself.
            if (sleeper > 0 && ParentOf(sleeper) == unshare.Id)
                Process.GetProcessById(sleeper).Kill();
            if (!unshare.HasExited)
                unshare.Kill();
            unshare.WaitForExit();
            unshare.Dispose();
        }
    }

    [Fact]
    public void Inspect_ExitedProcessIsProcessNotFound()
    {
        int pid;
        using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            pid = p.Id;
            p.WaitForExit();
        }
        var e = Assert.Throws<PodShellException>(() => NamespaceInspector.Inspect(pid));
        Assert.Equal("ProcessNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotFound, e.Kind);
    }

    [Fact]
    public void Inspect_FixtureProcRootSkipsMissingAndMalformedLinks()
    {
        var root = Directory.CreateTempSubdirectory("podshell-nsfix-").FullName;
        try
        {
            var target = Path.Combine(root, "77", "ns");
            var self = Path.Combine(root, "self", "ns");
            Directory.CreateDirectory(target);
            Directory.CreateDirectory(self);
            File.CreateSymbolicLink(Path.Combine(target, "mnt"), "mnt:[4026531840]");
            File.CreateSymbolicLink(Path.Combine(target, "uts"), "uts:[4026532001]");
            File.CreateSymbolicLink(Path.Combine(target, "net"), "garbage");
            File.CreateSymbolicLink(Path.Combine(self, "mnt"), "mnt:[4026531840]");
            File.CreateSymbolicLink(Path.Combine(self, "uts"), "uts:[4026531838]");

            var ns = NamespaceInspector.Inspect(77, root);

            Assert.Equal(new[] { "mnt", "uts" }, ns.Select(n => n.Type).ToArray());
            Assert.True(ns[0].SharedWithHost);
            Assert.Equal(4026531840UL, ns[0].Inode);
            Assert.False(ns[1].SharedWithHost);
            Assert.Equal(4026532001UL, ns[1].Inode);
            Assert.Equal(4026531838UL, ns[1].HostInode);
            Assert.Equal(Path.Combine(target, "uts"), ns[1].Path);

            Assert.Equal("ProcessNotFound", Assert.Throws<PodShellException>(() => NamespaceInspector.Inspect(78, root)).ErrorId);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("net:[4026531992]", "net", 4026531992UL)]
    [InlineData("net:[4026531992]", "mnt", null)]
    [InlineData("net:[]", "net", null)]
    [InlineData("net:[12", "net", null)]
    [InlineData("net:[-1]", "net", null)]
    public void ParseLinkTarget_Forms(string target, string type, ulong? expected)
    {
        Assert.Equal(expected, NamespaceInspector.ParseLinkTarget(target, type));
    }

    /// <summary>The child that unshare --fork starts; /proc/&lt;pid&gt;/task/*/children lists it.</summary>
    private static int FindChild(int parent)
    {
        // Not a timing assertion: a bounded wait for the fork to happen.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children")).Trim();
                if (text.Length > 0)
                    return int.Parse(text.Split(' ')[0]);
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"unshare ({parent}) started no child.");
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // Fields after the ")" that closes comm: state ppid ...
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
