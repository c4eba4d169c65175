namespace PodShell.Engine.Network;

/// <summary>The network drivers of one engine, chosen once when the engine is made, and which network goes to
/// which of them. An engine that may create bridges and firewall rules (root) has bridge networks: each
/// network with the driver its network_info names, the in-process <see cref="BridgeDriver"/> for a network
/// without DNS and <see cref="NetavarkDriver"/> for one with DNS (aardvark-dns is netavark's business). One
/// that may not (an ordinary user) has the user-mode network, <see cref="UserModeDriver"/>, as its default
/// and no bridge networks. Nothing else in the network code asks which kind of engine it runs in.</summary>
internal sealed class NetworkDrivers
{
    private readonly BridgeDriver? _bridge;
    private readonly NetavarkDriver? _netavark;

    private NetworkDrivers(BridgeDriver? bridge, NetavarkDriver? netavark, UserModeDriver? userMode)
    {
        _bridge = bridge;
        _netavark = netavark;
        UserModeNetwork = userMode;
    }

    /// <summary>Bridge networks (created with New-ContainerNetwork, "podshell" the default one).</summary>
    public static NetworkDrivers Bridges(BridgeDriver bridge, NetavarkDriver netavark) => new(bridge, netavark, null);

    /// <summary>The user-mode network as the default; bridge networks are refused.</summary>
    public static NetworkDrivers UserMode(UserModeDriver userMode) => new(null, null, userMode);

    /// <summary>Whether containers can join bridge networks (and be connected to and disconnected from them).</summary>
    public bool BridgeNetworks => _bridge != null;

    /// <summary>The user-mode network, when it is this engine's default; null with bridge networks.</summary>
    public UserModeDriver? UserModeNetwork { get; }

    /// <summary>The networks of <paramref name="all"/> grouped by driver: the in-process bridge first, then
    /// netavark; a driver without a network in it is left out. Port mappings go with every part, as
    /// netavark forwards them per network.</summary>
    public IReadOnlyList<(INetworkDriver Driver, NetworkAttachment Part)> ByDriver(NetworkAttachment all)
    {
        if (_bridge is null || _netavark is null) return Array.Empty<(INetworkDriver, NetworkAttachment)>();
        var (native, dns) = BridgeDriver.Split(all.OptionsJson);
        var parts = new List<(INetworkDriver, NetworkAttachment)>();
        if (native != null) parts.Add((_bridge, all with { OptionsJson = native }));
        if (dns != null) parts.Add((_netavark, all with { OptionsJson = dns }));
        return parts;
    }

    /// <summary>Sets up every network of <paramref name="all"/>, each with its driver; a later driver's failure
    /// undoes the earlier ones. Returns the name servers the drivers gave (aardvark-dns's).</summary>
    public IReadOnlyList<string> SetupNetworks(NetworkAttachment all)
    {
        var done = new List<(INetworkDriver Driver, NetworkAttachment Part)>();
        var dns = new List<string>();
        try
        {
            foreach (var (driver, part) in ByDriver(all))
            {
                dns.AddRange(driver.Setup(part).DnsServers);
                done.Add((driver, part));
            }
        }
        catch
        {
            foreach (var (driver, part) in done)
                try { driver.Teardown(part, force: true); } catch (IOException) { }
            throw;
        }
        return dns;
    }

    /// <summary>Tears down every network of <paramref name="all"/>, each with its driver; every driver runs even
    /// when an earlier one failed, and the first failure is thrown at the end.</summary>
    public void TeardownNetworks(NetworkAttachment all, bool force = false)
    {
        PodShellException? failure = null;
        foreach (var (driver, part) in ByDriver(all))
        {
            try { driver.Teardown(part, force); }
            catch (PodShellException e) { failure ??= e; }
        }
        if (failure != null) throw failure;
    }
}
