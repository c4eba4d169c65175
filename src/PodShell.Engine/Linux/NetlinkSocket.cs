using System.Buffers.Binary;
using Tmds.Linux;

namespace PodShell.Engine.Linux;

/// <summary>A NETLINK_ROUTE socket: one request at a time, each acknowledged (or a dump read to its
/// NLMSG_DONE). A netlink socket stays bound to the network namespace it was created in, which is how
/// the engine talks to a container's namespace without moving any thread but a short-lived one.</summary>
public sealed unsafe class NetlinkSocket : IDisposable
{
    // The byte[] and string forms the code below uses, over Tmds.LibC's pointer bindings.
    private static long send(int fd, byte[] buf, int len, int flags) { fixed (byte* b = buf) return LibC.send(fd, b, len, flags); }
    private static long recv(int fd, byte[] buf, int len, int flags) { fixed (byte* b = buf) return LibC.recv(fd, b, len, flags); }
    private static int open(string path, int flags, int mode) { fixed (byte* p = PodShell.Engine.IO.FileName.ToNative(path)) return LibC.open(p, flags, (ushort)mode); }
    private static int setsockopt(int fd, int level, int name, ref int value, int len) { fixed (int* v = &value) return LibC.setsockopt(fd, level, name, v, len); }
    private static int socket(int domain, int type, int protocol) => LibC.socket(domain, type, protocol);
    private static int close(int fd) => LibC.close(fd);
    private static int setns(int fd, int nstype) => LibC.setns(fd, nstype);

    private const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
    private const int SOL_NETLINK = 270, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;
    private const int CLONE_NEWNET = 0x40000000;
    private const int EINTR = 4;

    private int _fd;
    private uint _seq;
    private readonly byte[] _buffer = new byte[1 << 16];

    private NetlinkSocket(int fd) => _fd = fd;

    /// <summary>A socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open()
    {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) throw Failure("socket(AF_NETLINK)", Errno.Last, "");
        int one = 1;
        // Extended acks carry the kernel's reason ("Invalid argument" alone rarely says which attribute).
        setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, ref one, 4);
        // Strict checking makes the kernel honour attribute filters (IFLA_MASTER) on link dumps.
        setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, ref one, 4);
        return new NetlinkSocket(fd);
    }

    /// <summary>A socket bound to the network namespace behind <paramref name="netnsPath"/>.</summary>
    public static NetlinkSocket OpenIn(string netnsPath) => RunIn(netnsPath, Open);

    /// <summary>Runs <paramref name="work"/> on a dedicated thread that has joined the namespace. setns
    /// moves only the calling thread, and a pool thread left in a container's namespace would poison
    /// every later task scheduled on it; a dedicated thread that ends afterwards cannot.</summary>
    public static T RunIn<T>(string netnsPath, Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            int target = open(netnsPath, O_RDONLY | O_CLOEXEC, 0);
            if (target < 0) { error = Failure($"open {netnsPath}", Errno.Last, netnsPath); return; }
            int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC, 0);
            try
            {
                if (self < 0) { error = Failure("open /proc/thread-self/ns/net", Errno.Last, netnsPath); return; }
                if (setns(target, CLONE_NEWNET) != 0) { error = Failure($"setns {netnsPath}", Errno.Last, netnsPath); return; }
                try { result = work(); }
                catch (Exception e) { error = e; }
                // Back home, though the thread ends right after: nothing else runs on it either way.
                setns(self, CLONE_NEWNET);
            }
            finally
            {
                close(target);
                if (self >= 0) close(self);
            }
        }) { IsBackground = true, Name = "netns" };
        t.Start();
        t.Join();
        if (error != null) throw error is PodShellException ? error : new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"In {netnsPath}: {error.Message}", netnsPath);
        return result;
    }

    /// <summary>Runs <paramref name="work"/> on a dedicated thread that has unshared into a new, empty
    /// network namespace (unshare moves only the calling thread, which then ends); the work keeps the
    /// namespace alive, e.g. by bind-mounting /proc/thread-self/ns/net.</summary>
    public static T RunInNew<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            if (LibC.unshare(CLONE_NEWNET) != 0) { error = Failure("unshare(CLONE_NEWNET)", Errno.Last, ""); return; }
            try { result = work(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "netns-new" };
        t.Start();
        t.Join();
        if (error != null) throw error;
        return result;
    }

    /// <summary>An fd on the namespace file, for IFLA_NET_NS_FD; the caller closes it with <see cref="CloseFd"/>.</summary>
    public static int OpenNamespaceFd(string netnsPath)
    {
        int fd = open(netnsPath, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw Failure($"open {netnsPath}", Errno.Last, netnsPath);
        return fd;
    }

    public static void CloseFd(int fd) { if (fd >= 0) close(fd); }

    /// <summary>Sends one request with NLM_F_ACK and returns 0 or the positive errno the kernel answered,
    /// with its extended-ack text when it gave one.</summary>
    public (int Errno, string Message) Request(byte[] message)
    {
        uint seq = Send(message, ack: true);
        while (true)
        {
            int n = Receive();
            for (int off = 0; off + 16 <= n;)
            {
                var (len, type, _, mseq) = Header(off);
                if (len < 16 || off + len > n) break;
                if (mseq == seq && type == Netlink.NLMSG_ERROR)
                {
                    int err = -BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(off + 16));
                    return (err, err == 0 ? "" : ExtAckText(off, len));
                }
                off += Align(len);
            }
        }
    }

    /// <summary>Sends a dump (or a get, which is acknowledged) and returns every answer's payload (after
    /// the netlink header), or the positive errno the kernel refused it with.</summary>
    public (List<byte[]> Answers, int Errno, string Message) Query(byte[] message)
    {
        bool dump = (BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(6)) & Netlink.NLM_F_DUMP) == Netlink.NLM_F_DUMP;
        uint seq = Send(message, ack: !dump);
        var result = new List<byte[]>();
        while (true)
        {
            int n = Receive();
            for (int off = 0; off + 16 <= n;)
            {
                var (len, type, _, mseq) = Header(off);
                if (len < 16 || off + len > n) break;
                if (mseq == seq)
                {
                    if (type == Netlink.NLMSG_DONE) return (result, 0, "");
                    if (type == Netlink.NLMSG_ERROR)
                    {
                        int err = -BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(off + 16));
                        return (result, err, err == 0 ? "" : ExtAckText(off, len));
                    }
                    result.Add(_buffer.AsSpan(off + 16, len - 16).ToArray());
                }
                off += Align(len);
            }
        }
    }

    private uint Send(byte[] message, bool ack)
    {
        uint seq = ++_seq;
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), seq);
        if (ack) BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(6)) | Netlink.NLM_F_ACK));
        while (true)
        {
            var r = send(_fd, message, message.Length, 0);
            if (r >= 0) return seq;
            int e = Errno.Last;
            if (e != EINTR) throw Failure("netlink send", e, "");
        }
    }

    private int Receive()
    {
        while (true)
        {
            var r = recv(_fd, _buffer, _buffer.Length, 0);
            if (r >= 0) return (int)r;
            int e = Errno.Last;
            if (e != EINTR) throw Failure("netlink recv", e, "");
        }
    }

    private (int Len, ushort Type, ushort Flags, uint Seq) Header(int off) => (
        (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(off)),
        BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(off + 4)),
        BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(off + 6)),
        BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(off + 8)));

    // struct nlmsgerr is the error code and the original header (16 bytes); with NLM_F_ACK_TLVS the
    // request's payload is capped and TLVs follow, of which NLMSGERR_ATTR_MSG (1) is the text.
    private string ExtAckText(int off, int len)
    {
        const ushort NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
        var flags = Header(off).Flags;
        if ((flags & NLM_F_ACK_TLVS) == 0) return "";
        int inner = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(off + 20));
        int p = off + 16 + 4 + ((flags & NLM_F_CAPPED) != 0 ? 16 : Align(inner));
        foreach (var (type, value) in Netlink.Attributes(_buffer.AsSpan(p, Math.Max(0, off + len - p)).ToArray()))
            if (type == 1) return System.Text.Encoding.UTF8.GetString(value).TrimEnd('\0');
        return "";
    }

    private static int Align(int n) => (n + 3) & ~3;

    internal static PodShellException Failure(string what, int errno, string detail) =>
        new(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"{what}: {Errno.Describe(errno)}{(detail.Length > 0 ? " (" + detail + ")" : "")}", what);

    public void Dispose()
    {
        if (_fd >= 0) { close(_fd); _fd = -1; }
    }
}
