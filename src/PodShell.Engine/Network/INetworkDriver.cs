namespace PodShell.Engine.Network;

/// <summary>One way of giving a container's network namespace its interfaces: the in-process
/// <see cref="BridgeDriver"/> (bridge networks without DNS), <see cref="NetavarkDriver"/> (bridge networks
/// with DNS, through netavark and aardvark-dns) and <see cref="UserModeDriver"/> (slirp4netns, the network of
/// an ordinary user's containers). <see cref="NetworkDrivers"/> holds the ones an engine has and says which
/// network goes to which; <see cref="NetworkService"/> is their only caller.</summary>
internal interface INetworkDriver
{
    /// <summary>The driver's name: the "podshell_driver" mark in network_info, or the -Network value of the
    /// user-mode network.</summary>
    string Name { get; }

    /// <summary>Attaches the namespace to the networks of <paramref name="a"/>: all of the container's at its
    /// start, a single one for a live connect (Connect-ContainerNetwork). What it did is undone before a
    /// failure is thrown.</summary>
    NetworkSetupResult Setup(NetworkAttachment a);

    /// <summary>Undoes <see cref="Setup"/> for the networks of <paramref name="a"/>: all at the end of a run, a
    /// single one for a live disconnect. Idempotent: what is already gone is no failure. With
    /// <paramref name="force"/> a failure is swallowed (a rollback, or Disconnect-ContainerNetwork -Force).</summary>
    void Teardown(NetworkAttachment a, bool force);
}

/// <summary>What a driver is asked to attach: the container, its namespace file, its published ports and its
/// networks as netavark's NetworkOptions JSON (what the bundle's network.json keeps; empty for the user-mode
/// network, which has no named networks).</summary>
internal sealed record NetworkAttachment(string ContainerId, string NetnsPath, IReadOnlyList<PortMapping> Ports, string OptionsJson);

/// <summary>What a setup gave the container: its addresses, in the order of the networks; the name servers
/// its resolv.conf should list; and, from a driver that answers DNS itself, the whole resolv.conf.</summary>
internal sealed record NetworkSetupResult(IReadOnlyList<string> Addresses, IReadOnlyList<string> DnsServers, string? ResolvConf = null);
