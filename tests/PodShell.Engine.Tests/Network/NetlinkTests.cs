using System.Diagnostics;
using PodShell.Engine.Linux;
using PodShell.Engine.Network;
using Xunit;

using static PodShell.Engine.Tests.Network.NetworkTestSupport;

namespace PodShell.Engine.Tests.Network;

/// <summary>The rtnetlink requests on their own, in a namespace the test makes and removes.</summary>
public sealed class NetlinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ps-netlink-").FullName;
    private string Netns => Path.Combine(_dir, "ns");

    public NetlinkTests() => NetnsFile.Create(Netns);

    public void Dispose()
    {
        NetnsFile.Remove(Netns);
        Directory.Delete(_dir, true);
    }

    [MachineFact(Needs.Root)]
    public void ANewNamespace_HasOnlyLo_Down_UntilSetUp()
    {
        var (links, up) = NetlinkSocket.RunIn(Netns, () =>
        {
            using var s = NetlinkSocket.Open();
            var lo = Netlink.GetLink(s, "lo")!;
            Netlink.SetUp(s, lo.Index);
            return (new[] { lo }, Netlink.GetLink(s, "lo")!.Up);
        });
        Assert.Equal(1, links[0].Index);
        Assert.False(links[0].Up);
        Assert.True(up);
        Assert.Matches(@"lo: <LOOPBACK,UP", Sh("nsenter", "--net=" + Netns, "ip", "-o", "link"));
        // The host's thread was never moved: its lo is another namespace's, and the host still has its links.
        Assert.True(Directory.Exists("/sys/class/net/lo"));
    }

    [MachineFact(Needs.Root)]
    public void Bridge_Veth_Address_Ports_AndDeletion()
    {
        var br = $"psnl{Environment.ProcessId % 100000}";
        var veth = br + "v";
        using var s = NetlinkSocket.Open();
        try
        {
            Assert.Null(Netlink.GetLink(s, br));
            Assert.Equal(0, Netlink.CreateBridge(s, br));
            Assert.Equal(Netlink.EEXIST, Netlink.CreateBridge(s, br));
            var b = Netlink.GetLink(s, br)!;
            Assert.Equal("bridge", b.Kind);
            Assert.Equal(0, Netlink.AddAddress(s, b.Index, System.Net.IPAddress.Parse($"10.240.{Environment.ProcessId % 200}.1"), 24));
            Assert.Equal(Netlink.EEXIST, Netlink.AddAddress(s, b.Index, System.Net.IPAddress.Parse($"10.240.{Environment.ProcessId % 200}.1"), 24));
            Assert.Contains($"10.240.{Environment.ProcessId % 200}.1/24 brd 10.240.{Environment.ProcessId % 200}.255", Sh("ip", "-o", "-4", "addr", "show", "dev", br));

            int fd = NetlinkSocket.OpenNamespaceFd(Netns);
            try { Netlink.CreateVethPair(s, veth, b.Index, "eth7", fd); }
            finally { NetlinkSocket.CloseFd(fd); }
            var v = Netlink.GetLink(s, veth)!;
            Assert.Equal("veth", v.Kind);
            Assert.Equal(b.Index, v.Master);
            Assert.True(v.Up);
            Assert.Equal(new[] { veth }, Netlink.Ports(s, b.Index).Select(p => p.Name));
            Assert.Contains("eth7@", Sh("nsenter", "--net=" + Netns, "ip", "-o", "link"));
            Assert.False(Directory.Exists("/sys/class/net/eth7"));

            // A second pair of the same name is refused, with the kernel's reason.
            int fd2 = NetlinkSocket.OpenNamespaceFd(Netns);
            try
            {
                var e = Assert.Throws<PodShellException>(() => Netlink.CreateVethPair(s, veth, b.Index, "eth8", fd2));
                Assert.Contains("File exists", e.Message);
            }
            finally { NetlinkSocket.CloseFd(fd2); }

            Assert.True(Netlink.DeleteLink(s, veth));
            Assert.False(Netlink.DeleteLink(s, veth));
            Assert.DoesNotContain("eth7", Sh("nsenter", "--net=" + Netns, "ip", "-o", "link"));
            Assert.Empty(Netlink.Ports(s, b.Index));
        }
        finally
        {
            Netlink.DeleteLink(s, veth);
            Netlink.DeleteLink(s, br);
        }
        Assert.False(Directory.Exists("/sys/class/net/" + br));
    }

    [MachineFact(Needs.Root)]
    public void DeleteGroup_RemovesEveryLinkOfTheGroup_AndNoOther()
    {
        var a = $"psng{Environment.ProcessId % 100000}";
        using var s = NetlinkSocket.Open();
        try
        {
            Netlink.CreateBridge(s, a + "a");
            Netlink.CreateBridge(s, a + "b");
            Netlink.CreateBridge(s, a + "c");
            Assert.True(Netlink.SetGroup(s, a + "a", 0x5eed0001));
            Assert.True(Netlink.SetGroup(s, a + "b", 0x5eed0001));
            Assert.False(Netlink.SetGroup(s, a + "zz", 0x5eed0001));
            Netlink.DeleteGroup(s, 0x5eed0001);
            Assert.Null(Netlink.GetLink(s, a + "a"));
            Assert.Null(Netlink.GetLink(s, a + "b"));
            Assert.NotNull(Netlink.GetLink(s, a + "c"));
        }
        finally
        {
            foreach (var x in new[] { "a", "b", "c" }) Netlink.DeleteLink(s, a + x);
        }
    }
}
