using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PodShell.Engine.Linux;

namespace PodShell.Engine.Network;

/// <summary>A user-mode network for rootless containers: slirp4netns attached to a container's network
/// namespace file, with published ports added through its API socket (podman's
/// port_handler=slirp4netns). It runs in a session of its own and is not tied to an exit fd of ours,
/// so a detached container keeps its network after the calling pwsh ends; it is found again by the
/// pid and start time recorded in the state directory.</summary>
public static class Slirp4netns
{
    public const string InterfaceName = "tap0";
    public const string Subnet = "10.0.2.0/24";
    public const string GuestAddress = "10.0.2.100";
    public const string Gateway = "10.0.2.2";
    public const string DnsServer = "10.0.2.3";
    /// <summary>podman's slirp4netnsMTU: the largest a tap device takes, which is much faster than 1500.</summary>
    public const int Mtu = 65520;

    internal const string StateFileName = "slirp4netns.json";
    internal const string SocketFileName = "slirp4netns.sock";
    internal const string LogFileName = "slirp4netns.log";
    private const int ReadyFd = 3;
    // sun_path is 108 bytes including the terminating NUL.
    private const int MaxSocketPath = 107;

    /// <summary>The /etc/resolv.conf a container on this network gets: slirp4netns answers DNS on
    /// 10.0.2.3 itself and forwards to the host's resolvers, so the host's own (often 127.0.0.53,
    /// unreachable from the namespace) must not be copied in.</summary>
    public static string ResolvConf => $"nameserver {DnsServer}\n";

    /// <summary>Start slirp4netns on <paramref name="netnsPath"/> and publish <paramref name="ports"/>.
    /// <paramref name="commandPrefix"/> (e.g. nsenter -t PID -U -m --) is put in front of the command;
    /// it must exec the command rather than fork (nsenter without -p does), because the recorded pid is
    /// the one spawned. On any failure slirp4netns is stopped again and the state removed.</summary>
    public static Slirp4netnsInstance Start(string netnsPath, IReadOnlyList<PortMapping> ports, string stateDir,
        IReadOnlyList<string>? commandPrefix = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var forwards = HostForwards(ports);
        if (!File.Exists(netnsPath))
            throw new PodShellException(ErrorIds.NetnsNotFound, FailureKind.NotFound, $"The network namespace file {netnsPath} does not exist.", netnsPath);
        stateDir = Path.GetFullPath(stateDir);
        Directory.CreateDirectory(stateDir);
        var socket = Path.Combine(stateDir, SocketFileName);
        if (Encoding.UTF8.GetByteCount(socket) > MaxSocketPath)
            throw new PodShellException(ErrorIds.StatePathTooLong, FailureKind.InvalidArgument,
                $"The slirp4netns API socket path {socket} is longer than a Unix socket address allows ({MaxSocketPath} bytes).", socket);

        if (Load(stateDir) is { } existing)
        {
            if (existing.IsRunning)
                throw new PodShellException(ErrorIds.Slirp4netnsRunning, FailureKind.InvalidState,
                    $"slirp4netns (pid {existing.Pid}) is already running for {stateDir}.", stateDir);
            Stop(stateDir);
        }
        TryDelete(socket);

        var program = FindProgram("slirp4netns");
        var argv = new List<string>();
        if (commandPrefix is { Count: > 0 }) argv.AddRange(commandPrefix);
        argv.Add(program);
        argv.AddRange(Arguments(netnsPath, socket, ReadyFd));
        var executable = FindProgram(argv[0]);

        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env.Add($"{e.Key}={e.Value}");

        var logPath = Path.Combine(stateDir, LogFileName);
        int pid;
        using (var ready = new SyncPipe())
        {
            using (var log = new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
            {
                int logFd = (int)log.SafeFileHandle.DangerousGetHandle();
                pid = PosixSpawn.Spawn(executable, argv.Skip(1).ToList(), env,
                    new[] { (ready.WriteFd, ReadyFd), (logFd, 1), (logFd, 2) }, newSession: true);
            }
            // Recorded before anything can fail, so every failure path below (and a later Stop) can end it.
            var instance = new Slirp4netnsInstance(pid, ProcStat.StartTime(pid), stateDir, socket, netnsPath, ports);
            WriteState(instance);
            ready.CloseWriteEnd();
            try
            {
                string? word;
                try { word = ready.ReadLine(TimeSpan.FromSeconds(30), ct); }
                catch (TimeoutException) { throw Failed(instance, "did not report ready within 30 s"); }
                // slirp4netns writes "1" and closes the fd once tap0 is configured; EOF alone means it died.
                if (word != "1") throw Failed(instance, "exited before it was ready");
                WaitForSocket(instance, ct);
                foreach (var fwd in forwards) AddHostForward(instance, fwd);
                return instance;
            }
            catch
            {
                Stop(stateDir);
                throw;
            }
        }
    }

    /// <summary>The recorded instance of <paramref name="stateDir"/>, running or not; null when there is none.</summary>
    public static Slirp4netnsInstance? Load(string stateDir)
    {
        var path = Path.Combine(stateDir, StateFileName);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path));
            if (node is null) return null;
            var ports = node["ports"]?.AsArray().Select(p => PortMapping.Parse(p!.GetValue<string>())).ToList() ?? new List<PortMapping>();
            return new Slirp4netnsInstance(node["pid"]!.GetValue<int>(), node["startTime"]!.GetValue<ulong>(), stateDir,
                node["apiSocket"]!.GetValue<string>(), node["netns"]!.GetValue<string>(), ports);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null;
        }
    }

    /// <summary>End the slirp4netns recorded in <paramref name="stateDir"/>, only if that pid is still the
    /// same process (start time), and remove the API socket and state files. Idempotent.</summary>
    public static void Stop(string stateDir)
    {
        if (Load(stateDir) is { } s) End(s.Pid, s.StartTime);
        TryDelete(Path.Combine(stateDir, SocketFileName));
        TryDelete(Path.Combine(stateDir, LogFileName));
        TryDelete(Path.Combine(stateDir, StateFileName));
    }

    /// <summary>The command line after the program name; the flags podman 4 passes
    /// (libpod/networking_slirp4netns.go), with a ready fd but no exit fd.</summary>
    internal static IReadOnlyList<string> Arguments(string netnsPath, string apiSocket, int readyFd) => new[]
    {
        "--configure", $"--mtu={Mtu}", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
        $"--ready-fd={readyFd}", "--api-socket", apiSocket, "--netns-type=path", netnsPath, InterfaceName,
    };

    internal sealed record HostForward(string Proto, string HostAddr, int HostPort, int GuestPort)
    {
        public string ToJson() => new JsonObject
        {
            ["execute"] = "add_hostfwd",
            ["arguments"] = new JsonObject
            {
                ["proto"] = Proto,
                ["host_addr"] = HostAddr,
                ["host_port"] = HostPort,
                ["guest_addr"] = GuestAddress,
                ["guest_port"] = GuestPort,
            },
        }.ToJsonString();
    }

    /// <summary>One add_hostfwd per port: the API takes single ports, so ranges are expanded.
    /// No host IP means every address (0.0.0.0), as podman does.</summary>
    internal static IReadOnlyList<HostForward> HostForwards(IReadOnlyList<PortMapping> ports)
    {
        var list = new List<HostForward>();
        foreach (var p in ports)
        {
            var host = p.HostIp.Length == 0 ? "0.0.0.0" : p.HostIp;
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                throw new PodShellException(ErrorIds.PublishNotSupported, FailureKind.NotSupported,
                    $"-Publish {p}: the user-mode network (slirp4netns) forwards IPv4 host addresses only.", p.ToString());
            for (int i = 0; i < p.Range; i++)
                list.Add(new HostForward(p.Protocol, host, p.HostPort + i, p.ContainerPort + i));
        }
        return list;
    }

    private static void AddHostForward(Slirp4netnsInstance s, HostForward fwd)
    {
        string reply;
        try { reply = Request(s.ApiSocket, fwd.ToJson()); }
        catch (SocketException e) { throw Failed(s, $"API request failed: {e.Message}"); }
        JsonNode? node;
        try { node = JsonNode.Parse(reply); }
        catch (JsonException) { throw Failed(s, $"gave an unreadable API reply: {reply}"); }
        if (node?["error"] is not { } error) return;
        // The API only says "slirp_add_hostfwd failed"; a bind of our own tells a busy port from the rest.
        var target = $"{fwd.HostAddr}:{fwd.HostPort}/{fwd.Proto}";
        if (BindError(fwd) is SocketError.AddressAlreadyInUse)
            throw new PodShellException(ErrorIds.PortInUse, FailureKind.ResourceBusy,
                $"Cannot publish {target}: the host port is already in use.", target);
        throw new PodShellException(ErrorIds.PublishFailed, FailureKind.RuntimeFailed,
            $"Cannot publish {target}: slirp4netns said {error.ToJsonString()}.", target);
    }

    private static SocketError? BindError(HostForward fwd)
    {
        var udp = fwd.Proto == "udp";
        using var probe = new Socket(AddressFamily.InterNetwork, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);
        try { probe.Bind(new IPEndPoint(IPAddress.Parse(fwd.HostAddr), fwd.HostPort)); return null; }
        catch (SocketException e) { return e.SocketErrorCode; }
    }

    /// <summary>The API closes the request at SHUT_WR and answers once, then closes (no keep-alive).</summary>
    private static string Request(string socketPath, string json)
    {
        using var sock = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sock.ReceiveTimeout = 30_000;
        sock.SendTimeout = 30_000;
        sock.Connect(new UnixDomainSocketEndPoint(socketPath));
        sock.Send(Encoding.UTF8.GetBytes(json));
        sock.Shutdown(SocketShutdown.Send);
        var ms = new MemoryStream();
        var buf = new byte[4096];
        int n;
        while ((n = sock.Receive(buf)) > 0) ms.Write(buf, 0, n);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WaitForSocket(Slirp4netnsInstance s, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(s.ApiSocket))
        {
            ct.ThrowIfCancellationRequested();
            if (!s.IsRunning) throw Failed(s, "exited before it created its API socket");
            if (DateTime.UtcNow > deadline) throw Failed(s, $"did not create its API socket {s.ApiSocket} within 30 s");
            Thread.Sleep(10);
        }
    }

    private static PodShellException Failed(Slirp4netnsInstance s, string what)
    {
        string log = "";
        try { log = File.ReadAllText(Path.Combine(s.StateDir, LogFileName)).Trim(); }
        catch (IOException) { }
        return new PodShellException(ErrorIds.Slirp4netnsFailed, FailureKind.RuntimeFailed,
            $"slirp4netns for {s.NetnsPath} {what}" + (log.Length > 0 ? ": " + log : "."), s.NetnsPath);
    }

    /// <summary>SIGTERM, then SIGKILL if it lingers. A zombie child of ours is reaped; one that is
    /// no longer ours (the shell that started it ended) is reaped by init.</summary>
    internal static void End(int pid, ulong startTime)
    {
        if (startTime == 0) return;
        if (ProcStat.IsAlive(pid, startTime))
        {
            ProcStat.Signal(pid, 15);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (ProcStat.IsAlive(pid, startTime) && DateTime.UtcNow < deadline) Thread.Sleep(10);
            if (ProcStat.IsAlive(pid, startTime))
            {
                ProcStat.Signal(pid, 9);
                while (ProcStat.IsAlive(pid, startTime)) Thread.Sleep(10);
            }
        }
        // Only while the zombie still carries the recorded start time: a reused pid may be another child of ours.
        if (ProcStat.StartTime(pid) == startTime) PosixSpawn.TryReap(pid);
    }

    private static void WriteState(Slirp4netnsInstance s)
    {
        var node = new JsonObject
        {
            ["pid"] = s.Pid,
            ["startTime"] = s.StartTime,
            ["apiSocket"] = s.ApiSocket,
            ["netns"] = s.NetnsPath,
            ["ports"] = new JsonArray(s.Ports.Select(p => (JsonNode?)JsonValue.Create(p.ToString())).ToArray()),
        };
        var path = Path.Combine(s.StateDir, StateFileName);
        IO.AtomicFile.Write(path, node.ToJsonString());
    }

    private static string FindProgram(string name)
    {
        if (name.Contains('/')) return name;
        return Runtime.HostProgram.Find(name) ?? throw new PodShellException(ErrorIds.Slirp4netnsNotFound, FailureKind.NotSupported,
            $"{name} was not found in PATH; install it (Debian: apt-get install slirp4netns) for a rootless user-mode network.", name);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A running (or recorded) slirp4netns: its identity (pid + start time) and where its state lives.</summary>
public sealed class Slirp4netnsInstance
{
    internal Slirp4netnsInstance(int pid, ulong startTime, string stateDir, string apiSocket, string netnsPath, IReadOnlyList<PortMapping> ports)
    {
        Pid = pid;
        StartTime = startTime;
        StateDir = stateDir;
        ApiSocket = apiSocket;
        NetnsPath = netnsPath;
        Ports = ports;
    }

    public int Pid { get; }
    /// <summary>Field 22 of /proc/pid/stat when it started: a pid alone is reused.</summary>
    public ulong StartTime { get; }
    public string StateDir { get; }
    public string ApiSocket { get; }
    public string NetnsPath { get; }
    public IReadOnlyList<PortMapping> Ports { get; }

    public bool IsRunning => ProcStat.IsAlive(Pid, StartTime);

    /// <summary>End this process (if it is still the same one) and, unless the state directory now records
    /// another instance, remove the API socket and state files. Idempotent.</summary>
    public void Stop()
    {
        Slirp4netns.End(Pid, StartTime);
        if (Slirp4netns.Load(StateDir) is not { } recorded || (recorded.Pid == Pid && recorded.StartTime == StartTime))
            Slirp4netns.Stop(StateDir);
    }
}
