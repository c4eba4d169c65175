using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PodShell.Engine.Network;
using Xunit;

namespace PodShell.Engine.Tests.Network;

/// <summary>Runs the real slirp4netns (as root here) on a namespace file of its own. Only loopback
/// traffic from the host into the namespace: nothing leaves this machine.</summary>
public sealed class Slirp4netnsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ps-slirp-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _netns;
    private readonly string _state;
    private readonly List<Process> _started = new();

    public Slirp4netnsTests()
    {
        _netns = Path.Combine(_dir, "netns");
        _state = Path.Combine(_dir, "state");
        Directory.CreateDirectory(_dir);
        NetnsFile.Create(_netns);
    }

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Slirp4netns.Stop(_state);
        NetnsFile.Remove(_netns);
        Directory.Delete(_dir, recursive: true);
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Start_configures_tap0_with_the_guest_address_and_records_the_process()
    {
        var s = Slirp4netns.Start(_netns, Array.Empty<PortMapping>(), _state);
        try
        {
            Assert.True(s.IsRunning);
            Assert.Contains("slirp4netns", File.ReadAllText($"/proc/{s.Pid}/cmdline"));
            Assert.True(File.Exists(Path.Combine(_state, Slirp4netns.StateFileName)));
            var loaded = Slirp4netns.Load(_state);
            Assert.NotNull(loaded);
            Assert.Equal(s.Pid, loaded!.Pid);
            Assert.Equal(s.StartTime, loaded.StartTime);

            var addr = Run("nsenter", $"--net={_netns}", "ip", "-4", "addr", "show", "dev", "tap0");
            Assert.Contains("inet 10.0.2.100/24", addr);
            var route = Run("nsenter", $"--net={_netns}", "ip", "-4", "route");
            Assert.Contains("default via 10.0.2.2", route);
            Assert.Contains("mtu 65520", Run("nsenter", $"--net={_netns}", "ip", "link", "show", "dev", "tap0"));
            // A session of its own: it must not die with the shell that started it.
            Assert.Equal(s.Pid.ToString(), SessionId(s.Pid));
        }
        finally { s.Stop(); }
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_published_port_reaches_a_server_in_the_namespace()
    {
        var www = Path.Combine(_dir, "www");
        Directory.CreateDirectory(www);
        File.WriteAllText(Path.Combine(www, "index.html"), "hello from the namespace");
        StartInNetns("/usr/bin/busybox", "httpd", "-f", "-p", "8080", "-h", www);
        int port = FreeTcpPort();

        var s = Slirp4netns.Start(_netns, new[] { PortMapping.Parse($"127.0.0.1:{port}:8080") }, _state);
        try
        {
            Assert.Equal("hello from the namespace", Fetch($"http://127.0.0.1:{port}/index.html"));
        }
        finally { s.Stop(); }
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_port_range_is_published_port_for_port()
    {
        var www1 = Path.Combine(_dir, "w1");
        var www2 = Path.Combine(_dir, "w2");
        Directory.CreateDirectory(www1);
        Directory.CreateDirectory(www2);
        File.WriteAllText(Path.Combine(www1, "index.html"), "one");
        File.WriteAllText(Path.Combine(www2, "index.html"), "two");
        StartInNetns("/usr/bin/busybox", "httpd", "-f", "-p", "8081", "-h", www1);
        StartInNetns("/usr/bin/busybox", "httpd", "-f", "-p", "8082", "-h", www2);
        int port = FreeTcpPortPair();

        var s = Slirp4netns.Start(_netns, new[] { PortMapping.Parse($"127.0.0.1:{port}-{port + 1}:8081-8082") }, _state);
        try
        {
            Assert.Equal("one", Fetch($"http://127.0.0.1:{port}/index.html"));
            Assert.Equal("two", Fetch($"http://127.0.0.1:{port + 1}/index.html"));
        }
        finally { s.Stop(); }
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_busy_host_port_gives_PortInUse_and_leaves_nothing_running()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var e = Assert.Throws<PodShellException>(() =>
            Slirp4netns.Start(_netns, new[] { PortMapping.Parse($"127.0.0.1:{port}:80") }, _state));
        Assert.Equal("PortInUse", e.ErrorId);
        Assert.Equal(FailureKind.ResourceBusy, e.Kind);
        Assert.Empty(SlirpProcessesFor(_netns));
        Assert.False(File.Exists(Path.Combine(_state, Slirp4netns.SocketFileName)));
        Assert.False(File.Exists(Path.Combine(_state, Slirp4netns.StateFileName)));
        Assert.Null(Slirp4netns.Load(_state));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Stop_leaves_no_process_and_no_socket_and_can_be_repeated()
    {
        var s = Slirp4netns.Start(_netns, new[] { PortMapping.Parse($"127.0.0.1:{FreeTcpPort()}:80") }, _state);
        Assert.True(File.Exists(s.ApiSocket));
        Assert.Single(SlirpProcessesFor(_netns));

        Slirp4netns.Stop(_state);
        Assert.False(s.IsRunning);
        Assert.False(Directory.Exists($"/proc/{s.Pid}") && File.ReadAllText($"/proc/{s.Pid}/cmdline").Contains(_netns));
        Assert.Empty(SlirpProcessesFor(_netns));
        Assert.False(File.Exists(s.ApiSocket));
        Assert.Empty(Directory.GetFiles(_state));

        Slirp4netns.Stop(_state);
        s.Stop();
        Assert.Empty(Directory.GetFiles(_state));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Stop_does_not_signal_a_process_whose_start_time_differs()
    {
        // A stand-in for a reused pid: a live process of ours recorded with a wrong start time.
        var victim = StartInNetns("/usr/bin/busybox", "sleep", "300");
        Directory.CreateDirectory(_state);
        File.WriteAllText(Path.Combine(_state, Slirp4netns.StateFileName),
            $"{{\"pid\":{victim.Id},\"startTime\":1,\"apiSocket\":\"{Path.Combine(_state, Slirp4netns.SocketFileName)}\",\"netns\":\"{_netns}\",\"ports\":[]}}");

        Slirp4netns.Stop(_state);
        Assert.False(victim.HasExited);
        Assert.False(File.Exists(Path.Combine(_state, Slirp4netns.StateFileName)));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Start_refuses_a_second_instance_on_the_same_state_directory()
    {
        var s = Slirp4netns.Start(_netns, Array.Empty<PortMapping>(), _state);
        try
        {
            var e = Assert.Throws<PodShellException>(() => Slirp4netns.Start(_netns, Array.Empty<PortMapping>(), _state));
            Assert.Equal("Slirp4netnsRunning", e.ErrorId);
            Assert.True(s.IsRunning);
        }
        finally { s.Stop(); }
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_command_prefix_is_run_in_front_of_slirp4netns()
    {
        // nsenter into our own mount namespace: what the rootless engine does with its pause process,
        // and it execs, so the recorded pid is slirp4netns itself.
        var s = Slirp4netns.Start(_netns, Array.Empty<PortMapping>(), _state,
            new[] { "nsenter", "-t", Environment.ProcessId.ToString(), "-m", "--" });
        try
        {
            Assert.True(s.IsRunning);
            Assert.Equal("slirp4netns", File.ReadAllText($"/proc/{s.Pid}/comm").Trim());
            Assert.Contains("inet 10.0.2.100/24", Run("nsenter", $"--net={_netns}", "ip", "-4", "addr", "show", "dev", "tap0"));
        }
        finally { s.Stop(); }
        Assert.Empty(SlirpProcessesFor(_netns));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Inside_a_user_namespace_it_configures_a_netns_that_namespace_owns()
    {
        // The rootless shape: a pause process holds a user namespace and a netns it owns; slirp4netns is
        // entered into that user namespace through the prefix (no -p, so nsenter execs).
        var pause = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--user", "--map-root-user", "--net", "--", "/usr/bin/busybox", "sleep", "300" }) pause.ArgumentList.Add(a);
        var p = Process.Start(pause)!;
        _started.Add(p);
        var ownUserns = Ns("/proc/self/ns/user");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Ns($"/proc/{p.Id}/ns/user") == ownUserns || File.ReadAllText($"/proc/{p.Id}/comm").Trim() == "unshare")
        {
            Assert.True(DateTime.UtcNow < deadline, "the pause process did not enter its namespaces");
            Thread.Sleep(10);
        }
        var netns = $"/proc/{p.Id}/ns/net";

        var s = Slirp4netns.Start(netns, new[] { PortMapping.Parse($"127.0.0.1:{FreeTcpPort()}:80") }, _state,
            new[] { "nsenter", "-t", p.Id.ToString(), "-U", "--preserve-credentials", "--" });
        try
        {
            Assert.True(s.IsRunning);
            Assert.Equal(Ns($"/proc/{p.Id}/ns/user"),
                Ns($"/proc/{s.Pid}/ns/user"));
            Assert.Contains("inet 10.0.2.100/24", Run("nsenter", $"--net={netns}", "ip", "-4", "addr", "show", "dev", "tap0"));
        }
        finally { s.Stop(); }
        Assert.Empty(SlirpProcessesFor(netns));
        Assert.Empty(Directory.GetFiles(_state));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_missing_namespace_file_is_NetnsNotFound()
    {
        var e = Assert.Throws<PodShellException>(() =>
            Slirp4netns.Start(Path.Combine(_dir, "nope"), Array.Empty<PortMapping>(), _state));
        Assert.Equal("NetnsNotFound", e.ErrorId);
        Assert.Empty(SlirpProcessesFor(Path.Combine(_dir, "nope")));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void A_namespace_file_that_is_not_a_namespace_fails_and_cleans_up()
    {
        var plain = Path.Combine(_dir, "plain");
        File.WriteAllText(plain, "");
        var e = Assert.Throws<PodShellException>(() => Slirp4netns.Start(plain, Array.Empty<PortMapping>(), _state));
        Assert.Equal("Slirp4netnsFailed", e.ErrorId);
        Assert.Empty(SlirpProcessesFor(plain));
        Assert.Empty(Directory.GetFiles(_state));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void HostForwards_expand_ranges_and_default_to_every_address()
    {
        var f = Slirp4netns.HostForwards(new[] { PortMapping.Parse("9000-9002:80-82/udp"), PortMapping.Parse("127.0.0.1:8080:80") });
        Assert.Equal(4, f.Count);
        Assert.Equal(new Slirp4netns.HostForward("udp", "0.0.0.0", 9000, 80), f[0]);
        Assert.Equal(new Slirp4netns.HostForward("udp", "0.0.0.0", 9002, 82), f[2]);
        Assert.Equal(new Slirp4netns.HostForward("tcp", "127.0.0.1", 8080, 80), f[3]);
        Assert.Equal("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":8080,\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}}",
            f[3].ToJson());
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void An_IPv6_host_address_is_not_supported()
    {
        var e = Assert.Throws<PodShellException>(() => Slirp4netns.HostForwards(new[] { PortMapping.Parse("[::1]:8080:80") }));
        Assert.Equal("PublishNotSupported", e.ErrorId);
        Assert.Equal(FailureKind.NotSupported, e.Kind);
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void Arguments_are_podmans_with_a_ready_fd_and_no_exit_fd()
    {
        var a = Slirp4netns.Arguments("/run/netns/x", "/run/s.sock", 3);
        foreach (var flag in new[] { "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp", "--ready-fd=3", "--netns-type=path" })
            Assert.Contains(flag, a);
        Assert.DoesNotContain(a, x => x.StartsWith("--exit-fd") || x == "-e");
        Assert.Equal(new[] { "--api-socket", "/run/s.sock" }, a.SkipWhile(x => x != "--api-socket").Take(2));
        Assert.Equal(new[] { "/run/netns/x", "tap0" }, a.TakeLast(2));
    }

    [MachineFact(Needs.Root | Needs.Tun)]
    public void ResolvConf_names_the_slirp4netns_dns()
    {
        Assert.Equal("nameserver 10.0.2.3\n", Slirp4netns.ResolvConf);
    }

    private Process StartInNetns(string program, params string[] args)
    {
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add($"--net={_netns}");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _started.Add(p);
        return p;
    }

    private static string Fetch(string url)
    {
        using var http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        Exception? last = null;
        // The server in the namespace may still be starting: retry until a deadline, no timing assertion.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try { return http.GetStringAsync(url).GetAwaiter().GetResult().Trim(); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e; Thread.Sleep(100); }
        }
        throw new Xunit.Sdk.XunitException($"GET {url} failed: {last}");
    }

    private static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static int FreeTcpPortPair()
    {
        for (int i = 0; i < 50; i++)
        {
            int p = FreeTcpPort();
            if (p >= 65535) continue;
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, p + 1);
                l.Start();
                return p;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no two free adjacent ports");
    }

    private static string Ns(string link) => new FileInfo(link).LinkTarget ?? "";

    private static string SessionId(int pid)
    {
        var s = File.ReadAllText($"/proc/{pid}/stat");
        return s[(s.LastIndexOf(')') + 2)..].Split(' ')[3];
    }

    /// <summary>slirp4netns processes (not zombies) whose command line names this namespace file.</summary>
    private static List<int> SlirpProcessesFor(string netns)
    {
        var found = new List<int>();
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(d, "cmdline")).Split('\0');
                if (cmd.Length > 0 && cmd[0].EndsWith("slirp4netns") && cmd.Contains(netns)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
