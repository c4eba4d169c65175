using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PodShell.Engine.Network;

/// <summary>Drives netavark as podman does (design.md, Upstream U8): argv plus the NetworkOptions JSON on
/// stdin, "setup" and "teardown" with the same JSON. netavark creates the bridge, the veth pair, the
/// addresses, the iptables rules and starts aardvark-dns; the engine does the IPAM.</summary>
public sealed class NetavarkDriver : INetworkDriver
{
    public const string DefaultBinary = "/usr/lib/podman/netavark";
    public const string DefaultAardvark = "/usr/lib/podman/aardvark-dns";

    public NetavarkDriver(string configDir, string? binary = null, string? aardvark = null)
    {
        ConfigDir = configDir;
        Binary = binary ?? Find("netavark", DefaultBinary);
        Aardvark = aardvark ?? Find("aardvark-dns", DefaultAardvark);
    }

    public string ConfigDir { get; }
    public string Binary { get; }
    public string Aardvark { get; }

    /// <summary>Where netavark and the iptables it runs are looked for (PATH and the standard directories when
    /// null); a test points it at a directory without them.</summary>
    public IReadOnlyList<string>? ProgramDirectories { get; init; }

    // podman's helper directories first: Debian installs netavark and aardvark-dns there, not in PATH.
    private static readonly string[] HelperDirectories = { "/usr/lib/podman", "/usr/libexec/podman", "/usr/local/lib/podman", "/usr/bin", "/usr/local/bin" };

    private static string Find(string name, string fallback) => Runtime.HostProgram.Find(name, HelperDirectories) ?? fallback;

    private const string NeededFor = "a container network with DNS (New-ContainerNetwork without -DisableDns)";

    /// <summary>Every program a netavark call needs, checked before it runs: netavark itself, aardvark-dns (which
    /// netavark starts for a DNS network, from the path we give it) and iptables (netavark runs it from PATH for
    /// the network's rules). Without this, a missing one is netavark's "exec: ...: not found" in NetworkSetupFailed.</summary>
    private void RequirePrograms(string verb)
    {
        if (!File.Exists(Binary)) throw Runtime.HostProgram.NotFound(Binary, "netavark", ErrorIds.NetavarkNotFound, NeededFor);
        if (verb != "setup") return; // a teardown stops aardvark-dns and removes rules only if they exist
        if (!File.Exists(Aardvark)) throw Runtime.HostProgram.NotFound(Aardvark, "aardvark-dns", ErrorIds.AardvarkDnsNotFound, NeededFor);
        if (Runtime.HostProgram.Find("iptables", SearchPath()) is null)
            throw Runtime.HostProgram.NotFound("iptables", "iptables", ErrorIds.IptablesNotFound, NeededFor);
    }

    private IEnumerable<string> SearchPath() => ProgramDirectories ?? Runtime.HostProgram.SearchPath();

    /// <summary>The NetworkOptions JSON for one container on its networks.</summary>
    public static string Options(string containerId, string containerName, IEnumerable<PortMapping> ports,
        IEnumerable<(ContainerNetwork Network, string Ip, string[] Aliases, string Interface)> attachments)
    {
        var networks = new JsonObject();
        var info = new JsonObject();
        foreach (var (n, ip, aliases, iface) in attachments)
        {
            networks[n.Name] = new JsonObject
            {
                ["static_ips"] = new JsonArray(ip),
                ["aliases"] = new JsonArray(aliases.Select(a => (JsonNode)a!).ToArray()),
                ["interface_name"] = iface,
            };
            info[n.Name] = new JsonObject
            {
                ["name"] = n.Name,
                ["id"] = n.Id,
                ["driver"] = "bridge",
                ["network_interface"] = n.NetworkInterface,
                ["subnets"] = new JsonArray(new JsonObject { ["subnet"] = n.Subnet, ["gateway"] = n.Gateway }),
                ["ipv6_enabled"] = false,
                ["internal"] = n.Internal,
                ["dns_enabled"] = n.DnsEnabled,
                ["ipam_options"] = new JsonObject { ["driver"] = "host-local" },
                // Which driver set the network up, so the teardown picks the same one (netavark ignores
                // fields it does not know). network.json written before this field existed means netavark.
                [BridgeDriver.DriverField] = n.DnsEnabled ? "netavark" : BridgeDriver.DriverName,
            };
        }
        var o = new JsonObject
        {
            ["container_id"] = containerId,
            ["container_name"] = containerName,
            ["port_mappings"] = new JsonArray(ports.Select(p => (JsonNode)new JsonObject
            {
                ["host_ip"] = p.HostIp,
                ["container_port"] = p.ContainerPort,
                ["host_port"] = p.HostPort,
                ["range"] = p.Range,
                ["protocol"] = p.Protocol,
            }).ToArray()),
            ["networks"] = networks,
            ["network_info"] = info,
        };
        return o.ToJsonString();
    }

    /// <summary>Returns netavark's StatusBlock per network: name server addresses for aardvark-dns.</summary>
    public IReadOnlyList<string> Setup(string netnsPath, string optionsJson)
    {
        var stdout = Run("setup", netnsPath, optionsJson);
        var dns = new List<string>();
        try
        {
            if (JsonNode.Parse(stdout) is JsonObject status)
                foreach (var kv in status)
                    if (kv.Value?["dns_server_ips"] is JsonArray a)
                        dns.AddRange(a.Select(x => x!.GetValue<string>()));
        }
        catch (JsonException) { }
        return dns.Distinct().ToList();
    }

    public void Teardown(string netnsPath, string optionsJson) => Run("teardown", netnsPath, optionsJson);

    string INetworkDriver.Name => "netavark";

    NetworkSetupResult INetworkDriver.Setup(NetworkAttachment a)
    {
        var addresses = (JsonNode.Parse(a.OptionsJson)?["networks"] as JsonObject ?? new JsonObject())
            .Select(kv => kv.Value?["static_ips"]?[0]?.GetValue<string>() ?? "").ToArray();
        return new NetworkSetupResult(addresses, Setup(a.NetnsPath, a.OptionsJson));
    }

    /// <summary>netavark needs a namespace to open: a lost one (run root wiped) gets an empty stand-in, which
    /// the caller removes with the real one, so the rules still go. Its "already gone" failures are none here.</summary>
    void INetworkDriver.Teardown(NetworkAttachment a, bool force)
    {
        try
        {
            NetnsFile.Create(a.NetnsPath);
            Teardown(a.NetnsPath, a.OptionsJson);
        }
        catch (PodShellException e) when (force || AlreadyGone(e.Message)) { }
    }

    /// <summary>netavark fails a teardown when what it would remove is not there: a setup that a killed
    /// pwsh never finished, or a second teardown. Nothing is left to undo then.</summary>
    private static bool AlreadyGone(string message) =>
        message.Contains("No such device") || message.Contains("No chain/target/match") || message.Contains("No such file");

    private const string HostLockDir = "/run/lock";

    /// <summary>Held around every netavark call and every bridge/rule decision of <see cref="BridgeDriver"/>.</summary>
    public const string HostLockFile = HostLockDir + "/podshell-netavark.lock";

    // aardvark-dns is a daemon that netavark forks: it must not inherit a pipe we read to the end, or
    // the read would last as long as the daemon. So netavark's output goes to files.
    private string Run(string verb, string netnsPath, string json)
    {
        // netavark edits shared iptables chains (NETAVARK-*, the per-network chain) without a lock of its
        // own; two at once fail with "CHAIN_DEL failed (Device or resource busy)" or "No chain". Podman holds
        // a lock around every call; so do we, host-wide, since engines with other roots share the chains.
        RequirePrograms(verb);
        Directory.CreateDirectory(HostLockDir);
        using var hostLock = Linux.FileLock.Acquire(HostLockFile, TimeSpan.FromMinutes(2));
        Directory.CreateDirectory(ConfigDir);
        var tmp = Path.Combine(ConfigDir, $".{verb}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >\"$OUT\" 2>\"$ERR\"");
        psi.ArgumentList.Add(Binary);
        foreach (var a in new[] { "--config", ConfigDir, "--rootless=false", "--aardvark-binary=" + Aardvark, verb, netnsPath })
            psi.ArgumentList.Add(a);
        // netavark finds iptables through PATH: give it the directories RequirePrograms looked in.
        psi.Environment["PATH"] = string.Join(':', SearchPath().Distinct());
        psi.Environment["OUT"] = tmp + ".out";
        psi.Environment["ERR"] = tmp + ".err";
        try
        {
            using var p = Process.Start(psi) ?? throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"Could not start {Binary}", Binary);
            p.StandardInput.Write(json);
            p.StandardInput.Close();
            if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
            {
                try { p.Kill(); } catch (InvalidOperationException) { }
                p.WaitForExit();
                throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"netavark {verb} did not finish within a minute.", netnsPath);
            }
            var stdout = File.Exists(tmp + ".out") ? File.ReadAllText(tmp + ".out") : "";
            var stderr = File.Exists(tmp + ".err") ? File.ReadAllText(tmp + ".err") : "";
            if (p.ExitCode != 0)
            {
                string msg = stderr.Trim();
                try { if (JsonNode.Parse(stdout)?["error"]?.GetValue<string>() is { } e) msg = e; } catch (JsonException) { }
                throw new PodShellException(verb == "setup" ? ErrorIds.NetworkSetupFailed : ErrorIds.NetworkTeardownFailed, FailureKind.RuntimeFailed,
                    $"netavark {verb} failed: {msg}", netnsPath);
            }
            return stdout;
        }
        finally
        {
            try { File.Delete(tmp + ".out"); } catch (IOException) { }
            try { File.Delete(tmp + ".err"); } catch (IOException) { }
        }
    }
}
