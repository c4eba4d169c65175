using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PodShell.Engine.Linux;

/// <summary>The rtnetlink requests a bridge network needs (what `ip link/addr/route` send), built by hand:
/// linux/netlink.h, linux/rtnetlink.h, linux/if_link.h. Every request is acknowledged; callers get the
/// errno back where "already there" or "already gone" is an answer rather than a failure.</summary>
public static class Netlink
{
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;
    public const ushort NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    private const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_NEWROUTE = 24;
    private const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28, IFLA_GROUP = 27;
    private const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
    private const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
    private const ushort RTA_DST = 1, RTA_GATEWAY = 5, RTA_PRIORITY = 6;
    private const byte AF_UNSPEC = 0, AF_INET = 2;
    private const uint IFF_UP = 1;
    private const byte RT_TABLE_MAIN = 254, RTPROT_STATIC = 4, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;
    public const int EEXIST = 17, ENODEV = 19, ENOENT = 2;

    /// <summary>One link as RTM_GETLINK describes it.</summary>
    public sealed record Link(int Index, string Name, string Kind, int Master, bool Up);

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public static Link? GetLink(NetlinkSocket s, string name)
    {
        var m = new Message(RTM_GETLINK, 0);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.String(IFLA_IFNAME, name);
        // A get by name answers with the link itself, then the ack.
        var (answers, errno, message) = s.Query(m.Build());
        if (errno == ENODEV) return null;
        Check((errno, message), "get link " + name);
        return answers.Select(ParseLink).FirstOrDefault(l => l != null);
    }

    /// <summary>Every link whose master is <paramref name="masterIndex"/>: the ports of a bridge.</summary>
    public static IReadOnlyList<Link> Ports(NetlinkSocket s, int masterIndex)
    {
        var m = new Message(RTM_GETLINK, NLM_F_DUMP);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.UInt32(IFLA_MASTER, (uint)masterIndex);
        // The kernel filters by IFLA_MASTER; the check below also holds where it does not.
        var (answers, errno, message) = s.Query(m.Build());
        Check((errno, message), "list the ports of link " + masterIndex);
        return answers.Select(ParseLink).Where(l => l != null && l.Master == masterIndex).ToList()!;
    }

    /// <summary>ip link add NAME address MAC type bridge (EEXIST returned, not thrown).</summary>
    public static int CreateBridge(NetlinkSocket s, string name, byte[]? mac = null)
    {
        var m = new Message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.String(IFLA_IFNAME, name);
        if (mac != null) m.Bytes(IFLA_ADDRESS, mac);
        int info = m.Begin(IFLA_LINKINFO);
        m.String(IFLA_INFO_KIND, "bridge");
        m.End(info);
        return Check(s.Request(m.Build()), "create bridge " + name, EEXIST);
    }

    /// <summary>A veth pair in one request: <paramref name="hostName"/> here, up, a port of
    /// <paramref name="masterIndex"/>; its peer <paramref name="peerName"/> created straight in the namespace
    /// behind <paramref name="peerNetnsFd"/>, so no other interface of that name ever shows on the host.</summary>
    public static void CreateVethPair(NetlinkSocket s, string hostName, int masterIndex, string peerName, int peerNetnsFd)
    {
        var m = new Message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        m.IfInfo(AF_UNSPEC, 0, IFF_UP, IFF_UP);
        m.String(IFLA_IFNAME, hostName);
        m.UInt32(IFLA_MASTER, (uint)masterIndex);
        int info = m.Begin(IFLA_LINKINFO);
        m.String(IFLA_INFO_KIND, "veth");
        int data = m.Begin(IFLA_INFO_DATA);
        int peer = m.Begin(VETH_INFO_PEER);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.String(IFLA_IFNAME, peerName);
        m.UInt32(IFLA_NET_NS_FD, (uint)peerNetnsFd);
        m.End(peer);
        m.End(data);
        m.End(info);
        Check(s.Request(m.Build()), $"create veth pair {hostName}/{peerName}");
    }

    /// <summary>ip link set INDEX up.</summary>
    public static void SetUp(NetlinkSocket s, int index)
    {
        var m = new Message(RTM_NEWLINK, 0);
        m.IfInfo(AF_UNSPEC, index, IFF_UP, IFF_UP);
        Check(s.Request(m.Build()), $"set link {index} up");
    }

    /// <summary>ip link del NAME; false when there was no such link.</summary>
    public static bool DeleteLink(NetlinkSocket s, string name)
    {
        var m = new Message(RTM_DELLINK, 0);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.String(IFLA_IFNAME, name);
        return Check(s.Request(m.Build()), "delete link " + name, ENODEV) == 0;
    }

    /// <summary>ip link set NAME group GROUP; false when there was no such link.</summary>
    public static bool SetGroup(NetlinkSocket s, string name, uint group)
    {
        var m = new Message(RTM_NEWLINK, 0);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.String(IFLA_IFNAME, name);
        m.UInt32(IFLA_GROUP, group);
        return Check(s.Request(m.Build()), $"set group of {name}", ENODEV) == 0;
    }

    /// <summary>ip link del group GROUP: every link of the group in one batch, which costs the kernel one
    /// round of RCU grace periods instead of one per link.</summary>
    public static void DeleteGroup(NetlinkSocket s, uint group)
    {
        var m = new Message(RTM_DELLINK, 0);
        m.IfInfo(AF_UNSPEC, 0, 0, 0);
        m.UInt32(IFLA_GROUP, group);
        Check(s.Request(m.Build()), $"delete link group {group}", ENODEV);
    }

    /// <summary>ip addr add ADDRESS/PREFIX brd + dev INDEX (EEXIST returned, not thrown).</summary>
    public static int AddAddress(NetlinkSocket s, int index, IPAddress address, int prefix)
    {
        var m = new Message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        m.IfAddr(AF_INET, (byte)prefix, RT_SCOPE_UNIVERSE, index);
        var bytes = address.GetAddressBytes();
        m.Bytes(IFA_LOCAL, bytes);
        m.Bytes(IFA_ADDRESS, bytes);
        uint host = prefix >= 32 ? 0 : uint.MaxValue >> prefix;
        var brd = BinaryPrimitives.ReadUInt32BigEndian(bytes) | host;
        var brdBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(brdBytes, brd);
        m.Bytes(IFA_BROADCAST, brdBytes);
        return Check(s.Request(m.Build()), $"add address {address}/{prefix}", EEXIST);
    }

    /// <summary>ip route add default via GATEWAY metric METRIC, as netavark adds it (static, main table,
    /// no NLM_F_EXCL: a second network's default route with another gateway goes beside the first).</summary>
    public static int AddDefaultRoute(NetlinkSocket s, IPAddress gateway, uint metric)
    {
        var m = new Message(RTM_NEWROUTE, NLM_F_CREATE);
        m.RtMsg(AF_INET, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST);
        m.Bytes(RTA_DST, new byte[4]);
        m.Bytes(RTA_GATEWAY, gateway.GetAddressBytes());
        m.UInt32(RTA_PRIORITY, metric);
        return Check(s.Request(m.Build()), $"add default route via {gateway}", EEXIST);
    }

    private static int Check((int Errno, string Message) r, string what, params int[] tolerated)
    {
        if (r.Errno == 0 || tolerated.Contains(r.Errno)) return r.Errno;
        throw NetlinkSocket.Failure(what, r.Errno, r.Message);
    }

    private static Link? ParseLink(byte[] payload)
    {
        if (payload.Length < 16) return null;
        int index = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(4));
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(8));
        string name = "", kind = "";
        int master = 0;
        foreach (var (type, value) in Attributes(payload[16..]))
        {
            switch (type)
            {
                case IFLA_IFNAME: name = Encoding.UTF8.GetString(value).TrimEnd('\0'); break;
                case IFLA_MASTER when value.Length >= 4: master = BinaryPrimitives.ReadInt32LittleEndian(value); break;
                case IFLA_LINKINFO:
                    foreach (var (t, v) in Attributes(value))
                        if (t == IFLA_INFO_KIND) kind = Encoding.UTF8.GetString(v).TrimEnd('\0');
                    break;
            }
        }
        return new Link(index, name, kind, master, (flags & IFF_UP) != 0);
    }

    /// <summary>The rtattrs of a payload; the nested flag (NLA_F_NESTED) is masked off the type.</summary>
    public static IEnumerable<(ushort Type, byte[] Value)> Attributes(byte[] data)
    {
        for (int off = 0; off + 4 <= data.Length;)
        {
            int len = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(off));
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(off + 2)) & 0x3fff);
            if (len < 4 || off + len > data.Length) yield break;
            yield return (type, data[(off + 4)..(off + len)]);
            off += (len + 3) & ~3;
        }
    }

    /// <summary>A netlink message under construction: nlmsghdr, a family header, rtattrs (4-aligned).</summary>
    private sealed class Message
    {
        private readonly List<byte> _b = new(256);

        public Message(ushort type, ushort flags)
        {
            U32(0); U16(type); U16((ushort)(NLM_F_REQUEST | flags)); U32(0); U32(0);
        }

        public void IfInfo(byte family, int index, uint flags, uint change)
        {
            _b.Add(family); _b.Add(0); U16(0); U32((uint)index); U32(flags); U32(change);
        }

        public void IfAddr(byte family, byte prefix, byte scope, int index)
        {
            _b.Add(family); _b.Add(prefix); _b.Add(0); _b.Add(scope); U32((uint)index);
        }

        public void RtMsg(byte family, byte dstLen, byte table, byte protocol, byte scope, byte type)
        {
            _b.Add(family); _b.Add(dstLen); _b.Add(0); _b.Add(0); _b.Add(table); _b.Add(protocol); _b.Add(scope); _b.Add(type); U32(0);
        }

        public void Bytes(ushort type, byte[] value)
        {
            U16((ushort)(4 + value.Length)); U16(type); _b.AddRange(value); Pad();
        }

        public void String(ushort type, string value) => Bytes(type, Encoding.UTF8.GetBytes(value + "\0"));

        public void UInt32(ushort type, uint value)
        {
            var v = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(v, value);
            Bytes(type, v);
        }

        public int Begin(ushort type)
        {
            int at = _b.Count;
            U16(0); U16(type);
            return at;
        }

        public void End(int at)
        {
            int len = _b.Count - at;
            _b[at] = (byte)len; _b[at + 1] = (byte)(len >> 8);
        }

        public byte[] Build()
        {
            var a = _b.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(a, (uint)a.Length);
            return a;
        }

        private void Pad() { while (_b.Count % 4 != 0) _b.Add(0); }
        private void U16(ushort v) { _b.Add((byte)v); _b.Add((byte)(v >> 8)); }
        private void U32(uint v) { U16((ushort)v); U16((ushort)(v >> 16)); }
    }
}
