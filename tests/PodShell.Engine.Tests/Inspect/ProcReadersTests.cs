using PodShell.Engine.Processes;

namespace PodShell.Engine.Tests.Inspect;

public sealed class ProcReadersTests
{
    [Fact]
    public void NetDev_SumsInterfacesButLoopback()
    {
        var text = "Inter-|   Receive                                                |  Transmit\n" +
                   " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
                   "    lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0\n" +
                   "  eth0:    1200       8    0    0    0     0          0         0      300       4    0    0    0     0       0          0\n" +
                   "  eth1:      34       1    0    0    0     0          0         0       12       1    0    0    0     0       0          0\n";
        Assert.Equal((1234L, 312L), ProcNetDev.Parse(text));
    }

    [Fact]
    public void NetDev_OfAMissingProcess_IsZero()
    {
        var tmp = Directory.CreateTempSubdirectory("podshell-proc-").FullName;
        try { Assert.Equal((0L, 0L), ProcNetDev.Read(999999, tmp)); }
        finally { Directory.Delete(tmp, true); }
    }

    [Fact]
    public void ProcessTable_ReadsThisProcess()
    {
        var p = ProcessTable.Read(Environment.ProcessId, null);
        Assert.NotNull(p);
        Assert.Equal(Environment.ProcessId, p!.Pid);
        Assert.Equal(Environment.ProcessId, p.ContainerPid); // same pid namespace
        Assert.True(p.MemoryRss > 0);
        Assert.NotEmpty(p.CommandLine);
        Assert.True(p.CpuTime > TimeSpan.Zero);
        Assert.Null(ProcessTable.Read(int.MaxValue - 1, null));
    }

    [Fact]
    public void UserName_ComesFromTheRootsPasswd_NotTheHosts()
    {
        var root = Directory.CreateTempSubdirectory("podshell-root-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nweb:x:1234:1234::/:/bin/sh\n");
            Assert.Equal("web", ProcessTable.UserName(root, 1234));
            Assert.Equal("4321", ProcessTable.UserName(root, 4321));
            // A passwd that is a link to the host's resolves inside the root: no host names leak in.
            File.Delete(Path.Combine(root, "etc/passwd"));
            File.CreateSymbolicLink(Path.Combine(root, "etc/passwd"), "/etc/../../etc/shadow-none");
            Assert.Equal("0", ProcessTable.UserName(root, 0));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void PidsIn_ReadsCgroupProcs()
    {
        var dir = Directory.CreateTempSubdirectory("podshell-cg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), "12\n7\n12\n");
            Assert.Equal(new[] { 7, 12 }, ProcessTable.PidsIn(dir));
            Assert.Empty(ProcessTable.PidsIn(Path.Combine(dir, "missing")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
