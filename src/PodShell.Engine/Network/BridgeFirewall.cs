using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace PodShell.Engine.Network;

/// <summary>The iptables rules of the in-process bridge driver: netavark 1.4's rules (masquerade of the
/// subnet, FORWARD accept, DNAT of published ports from PREROUTING and OUTPUT, the 0x2000 mark that
/// masquerades hairpin and 127.0.0.1 traffic), kept in three chains PodShell owns. Each change rewrites
/// those chains whole from the host-wide list of attachments in one `iptables-restore --noflush`: in a
/// restore, declaring an existing user chain flushes it, so a rewrite needs no knowledge of what was
/// there and is idempotent, where `-D` of a rule already gone would fail the whole transaction.</summary>
public static class BridgeFirewall
{
    public const string NatChain = "PODSHELL-POSTROUTING";
    public const string DnatChain = "PODSHELL-HOSTPORT-DNAT";
    public const string ForwardChain = "PODSHELL-FORWARD";
    private const string Mark = "0x2000/0x2000";

    /// <summary>Host-wide, not per run root: every engine on the host shares the chains, so each rewrite
    /// must know every engine's attachments. Under /run: the rules die with a reboot, and so does this.</summary>
    public const string StateDir = "/run/podshell-bridge";

    // The jumps from the built-in chains stay once made (netavark's TeardownPolicy::Never): they name
    // no subnet or container, and removing them would need a `-D` that fails when someone else did.
    private static readonly (string Table, string Check, string Rule)[] BaseJumps =
    {
        ("nat", $"-A PREROUTING -m addrtype --dst-type LOCAL -j {DnatChain}", $"-A PREROUTING -m addrtype --dst-type LOCAL -j {DnatChain}"),
        ("nat", $"-A OUTPUT -m addrtype --dst-type LOCAL -j {DnatChain}", $"-A OUTPUT -m addrtype --dst-type LOCAL -j {DnatChain}"),
        ("nat", $"-A POSTROUTING -j {NatChain}", $"-I POSTROUTING 1 -j {NatChain}"),
        ("filter", $"-A FORWARD -m comment --comment \"podshell bridge networks\" -j {ForwardChain}", $"-I FORWARD 1 -m comment --comment \"podshell bridge networks\" -j {ForwardChain}"),
    };

    private static string EntryFile(BridgeAttachment a) => Path.Combine(StateDir, $"{a.ContainerId}_{a.Network}.json");
    private static string BaseMarker => Path.Combine(StateDir, ".base-jumps");
    private static string AppliedFile => Path.Combine(StateDir, ".applied");

    /// <summary>Adds the attachments to the host-wide list. The caller holds the host lock.</summary>
    public static void Record(IEnumerable<BridgeAttachment> attachments)
    {
        Directory.CreateDirectory(StateDir);
        foreach (var a in attachments)
            IO.AtomicFile.Write(EntryFile(a), JsonSerializer.Serialize(a));
    }

    /// <summary>Drops the attachments from the list (missing ones are fine). The caller holds the host lock.</summary>
    public static void Forget(IEnumerable<BridgeAttachment> attachments)
    {
        foreach (var a in attachments)
            File.Delete(EntryFile(a));
    }

    /// <summary>Every recorded attachment whose host veth still exists, or that is being set up now. One
    /// whose veth is gone died with its namespace (or its setup never finished); it is dropped, so the
    /// rules heal themselves.</summary>
    public static IReadOnlyList<BridgeAttachment> Current(IEnumerable<BridgeAttachment>? settingUp = null)
    {
        var keep = (settingUp ?? Array.Empty<BridgeAttachment>()).Select(EntryFile).ToHashSet();
        var list = new List<BridgeAttachment>();
        if (!Directory.Exists(StateDir)) return list;
        foreach (var f in Directory.GetFiles(StateDir, "*.json"))
        {
            BridgeAttachment? a = null;
            try { a = JsonSerializer.Deserialize<BridgeAttachment>(File.ReadAllText(f)); }
            catch (JsonException) { }
            catch (FileNotFoundException) { continue; }
            if (a == null || (!keep.Contains(f) && !Directory.Exists("/sys/class/net/" + a.HostVeth))) { File.Delete(f); continue; }
            list.Add(a);
        }
        return list.OrderBy(a => a.Network, StringComparer.Ordinal).ThenBy(a => a.ContainerId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Rewrites the chains from <see cref="Current"/>. The caller holds the host lock.</summary>
    public static void Apply(IEnumerable<BridgeAttachment>? settingUp = null) => Start(settingUp).Wait();

    /// <summary>Starts the rewrite and returns at once: the caller does its netlink work while
    /// iptables-restore runs (a restore that changes rules costs 10-30 ms of nf_tables commit here), then
    /// waits. Nothing runs when the rules are what the last rewrite made: a second container without
    /// ports on a network changes nothing. The caller holds the host lock until <see cref="Restore.Wait"/>.</summary>
    public static Restore Start(IEnumerable<BridgeAttachment>? settingUp = null)
    {
        var marker = File.Exists(BaseMarker);
        var missing = marker ? Array.Empty<(string, string, string)>() : MissingBaseJumps();
        var text = Render(Current(settingUp), missing.Select(j => (j.Item1, j.Item3)));
        if (marker && File.Exists(AppliedFile) && File.ReadAllText(AppliedFile) == text) return new Restore(null, text, marker);
        // Unknown until the restore succeeds: a failed or killed one must not leave a stale "applied".
        File.Delete(AppliedFile);
        return new Restore(StartProcess("iptables-restore", new[] { "-w", "--noflush" }, text), text, marker);
    }

    /// <summary>A running (or skipped) iptables-restore.</summary>
    public sealed class Restore
    {
        private readonly RunningProcess? _process;
        private readonly string _text;
        private readonly bool _marker;
        private bool _done;

        internal Restore(RunningProcess? process, string text, bool marker) { _process = process; _text = text; _marker = marker; }

        /// <summary>Waits for the restore; throws NetworkSetupFailed when it failed.</summary>
        public void Wait()
        {
            if (_done) return;
            _done = true;
            if (_process == null) return;
            _process.Wait();
            Directory.CreateDirectory(StateDir);
            File.WriteAllText(AppliedFile, _text);
            if (!_marker) File.WriteAllText(BaseMarker, "");
        }

        /// <summary>Waits, and swallows a failure: for the error path, where another error is already
        /// on its way and a second restore must not race this one.</summary>
        public void WaitQuietly()
        {
            try { Wait(); } catch (PodShellException) { } catch (IOException) { }
        }
    }

    /// <summary>The iptables-restore input for these attachments (internal networks get no rules, as in
    /// netavark, which skips the firewall for them) plus the given jumps from built-in chains.</summary>
    public static string Render(IReadOnlyList<BridgeAttachment> attachments, IEnumerable<(string Table, string Rule)> baseJumps)
    {
        var jumps = baseJumps.ToList();
        var nat = new StringBuilder();
        var filter = new StringBuilder();
        nat.Append("*nat\n").Append($":{NatChain} - [0:0]\n:{DnatChain} - [0:0]\n");
        filter.Append("*filter\n").Append($":{ForwardChain} - [0:0]\n");
        foreach (var j in jumps.Where(j => j.Table == "nat")) nat.Append(j.Rule).Append('\n');
        foreach (var j in jumps.Where(j => j.Table == "filter")) filter.Append(j.Rule).Append('\n');
        nat.Append($"-A {NatChain} -m mark --mark {Mark} -m comment --comment \"podshell portfw masq mark\" -j MASQUERADE\n");

        // By name and subnet: the chains are the host's, shared by every store on it, and two stores (two test runs, root
        // and a second graph root) may each have a network of the same name on different subnets; both need rules.
        foreach (var net in attachments.Where(a => !a.Internal).GroupBy(a => (a.Network, a.Subnet)))
        {
            var s = net.Key.Subnet;
            var comment = $"-m comment --comment \"podshell network {net.Key.Network}\"";
            // Traffic inside the subnet keeps its addresses; everything else leaves with the host's.
            nat.Append($"-A {NatChain} -s {s} -d {s} {comment} -j RETURN\n");
            nat.Append($"-A {NatChain} -s {s} ! -d 224.0.0.0/4 {comment} -j MASQUERADE\n");
            filter.Append($"-A {ForwardChain} -d {s} -m conntrack --ctstate RELATED,ESTABLISHED {comment} -j ACCEPT\n");
            filter.Append($"-A {ForwardChain} -s {s} {comment} -j ACCEPT\n");
            foreach (var a in net)
                foreach (var p in a.Ports)
                {
                    if (p.HostIp.Contains(':')) continue;
                    var dport = p.Range > 1 ? $"{p.HostPort}:{p.HostPort + p.Range - 1}" : p.HostPort.ToString();
                    var match = $"-p {p.Protocol} -m {p.Protocol} --dport {dport}" + (p.HostIp.Length > 0 ? $" -d {p.HostIp}" : "");
                    var id = $"-m comment --comment \"podshell network {a.Network} id {a.ContainerId}\"";
                    var to = p.Range > 1 ? $"{a.Ip}:{p.ContainerPort}-{p.ContainerPort + p.Range - 1}/{p.HostPort}" : $"{a.Ip}:{p.ContainerPort}";
                    // Hairpin (a container to a published port) and 127.0.0.1 clients are masqueraded, so
                    // the answer comes back through the host (route_localnet lets 127/8 leave on the bridge).
                    nat.Append($"-A {DnatChain} -s {s} {match} {id} -j MARK --set-xmark {Mark}\n");
                    nat.Append($"-A {DnatChain} -s 127.0.0.0/8 {match} {id} -j MARK --set-xmark {Mark}\n");
                    nat.Append($"-A {DnatChain} {match} {id} -j DNAT --to-destination {to}\n");
                }
        }
        nat.Append("COMMIT\n");
        filter.Append("COMMIT\n");
        return nat.Append(filter).ToString();
    }

    private static (string Table, string Check, string Rule)[] MissingBaseJumps()
    {
        var saved = RunProcess("iptables-save", Array.Empty<string>(), null);
        // Check is the rule as iptables-save prints it back.
        var lines = saved.Split('\n').Select(l => l.Trim()).ToHashSet();
        return BaseJumps.Where(j => !lines.Contains(j.Check)).ToArray();
    }

    private static string RunProcess(string file, string[] args, string? stdin) => StartProcess(file, args, stdin).Wait();

    private static RunningProcess StartProcess(string file, string[] args, string? stdin)
    {
        // Found first, so a host without iptables gets IptablesNotFound naming the package (and an ordinary
        // PATH without /usr/sbin still finds it).
        var psi = new ProcessStartInfo(Runtime.HostProgram.Require(file, "iptables", ErrorIds.IptablesNotFound, "the bridge network's firewall"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"Could not start {file}: {e.Message}. Install iptables.", file);
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // The rules are a few kB: far below the pipe's capacity, so this write does not wait for the reader.
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        return new RunningProcess(p, file, stdout, stderr);
    }

    internal sealed class RunningProcess(Process p, string file, Task<string> stdout, Task<string> stderr)
    {
        public string Wait()
        {
            using (p)
            {
                if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
                {
                    try { p.Kill(); } catch (InvalidOperationException) { }
                    p.WaitForExit();
                    throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"{file} did not finish within a minute.", file);
                }
                p.WaitForExit();
                if (p.ExitCode != 0)
                    throw new PodShellException(ErrorIds.NetworkSetupFailed, FailureKind.RuntimeFailed, $"{file} failed: {stderr.Result.Trim()}", file);
                return stdout.Result;
            }
        }
    }
}

/// <summary>One container on one bridge network handled in-process: what its rules and its teardown need.</summary>
public sealed record BridgeAttachment(string ContainerId, string Network, string Bridge, string Subnet, string Gateway,
    bool Internal, string Ip, string Interface, string HostVeth, PortMapping[] Ports);
