using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PodShell.Engine.Containers;

namespace PodShell.Engine.Network;

/// <summary>Networks and the addresses handed out on them, in the engine's SQLite file. Podman keeps its
/// IPAM in a bbolt file (design.md, Upstream U8); here an allocation is one INSERT inside BEGIN IMMEDIATE,
/// so two pwsh processes never hand out the same address.</summary>
public sealed class NetworkStore
{
    private readonly StateStore _store;

    public NetworkStore(StateStore store)
    {
        _store = store;
        // Its tables are in the store's one schema (Containers/StoreSchema.cs).
    }

    public IReadOnlyList<ContainerNetwork> List()
    {
        using var c = _store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM networks ORDER BY name";
        var list = new List<ContainerNetwork>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) list.Add(JsonSerializer.Deserialize<ContainerNetwork>(rd.GetString(0))!);
        return list;
    }

    public ContainerNetwork? Get(string name) => List().FirstOrDefault(n => n.Name == name);

    /// <summary>Insert unless a network of that name exists; returns the stored one either way when
    /// <paramref name="existingOk"/>, so two processes creating the default network agree on it.</summary>
    public ContainerNetwork Insert(ContainerNetwork n, bool existingOk)
    {
        using var c = _store.Open();
        using var tx = c.BeginTransaction(deferred: false);
        using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT json FROM networks WHERE name = $n";
            q.Parameters.AddWithValue("$n", n.Name);
            if (q.ExecuteScalar() is string existing)
            {
                if (existingOk) return JsonSerializer.Deserialize<ContainerNetwork>(existing)!;
                throw new PodShellException(ErrorIds.NetworkNameInUse, FailureKind.AlreadyExists, $"A network named '{n.Name}' already exists.", n.Name);
            }
            q.CommandText = "SELECT subnet, name FROM networks";
            using (var rd = q.ExecuteReader())
                while (rd.Read())
                    if (Overlaps(IPNetwork.Parse(rd.GetString(0)), IPNetwork.Parse(n.Subnet)))
                        throw new PodShellException(ErrorIds.SubnetInUse, FailureKind.AlreadyExists,
                            $"Subnet {n.Subnet} overlaps {rd.GetString(0)} of network '{rd.GetString(1)}'.", n.Subnet);
        }
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO networks (name, id, bridge, subnet, json) VALUES ($n, $i, $b, $s, $j)";
        cmd.Parameters.AddWithValue("$n", n.Name);
        cmd.Parameters.AddWithValue("$i", n.Id);
        cmd.Parameters.AddWithValue("$b", n.NetworkInterface);
        cmd.Parameters.AddWithValue("$s", n.Subnet);
        cmd.Parameters.AddWithValue("$j", JsonSerializer.Serialize(n));
        try { cmd.ExecuteNonQuery(); }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PodShellException(ErrorIds.NetworkInterfaceInUse, FailureKind.AlreadyExists, $"Bridge '{n.NetworkInterface}' is already used by another network.", n.NetworkInterface);
        }
        tx.Commit();
        return n;
    }

    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    public void Delete(string name)
    {
        using var c = _store.Open();
        using var tx = c.BeginTransaction(deferred: false);
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM networks WHERE name = $n; DELETE FROM network_addresses WHERE network = $n;";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>The container's address on the network: the one it already holds, else
    /// <paramref name="requested"/> (refused when another container holds it), else the lowest free host
    /// address after the gateway.</summary>
    public IPAddress Allocate(ContainerNetwork n, string containerId, IPAddress? requested = null)
    {
        var net = IPNetwork.Parse(n.Subnet);
        if (net.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new PodShellException(ErrorIds.InvalidSubnet, FailureKind.NotSupported, "Only IPv4 subnets are supported.", n.Subnet);
        using var c = _store.Open();
        using var tx = c.BeginTransaction(deferred: false);
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT ip, container_id FROM network_addresses WHERE network = $n";
        cmd.Parameters.AddWithValue("$n", n.Name);
        var used = new HashSet<string>();
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
            {
                if (rd.GetString(1) == containerId) return IPAddress.Parse(rd.GetString(0));
                used.Add(rd.GetString(0));
            }
        uint base_ = ToUInt(net.BaseAddress);
        uint size = net.PrefixLength >= 31 ? 0 : (1u << (32 - net.PrefixLength));
        if (requested != null)
        {
            CheckHostAddress(n, requested);
            if (used.Contains(requested.ToString()))
                throw new PodShellException(ErrorIds.IPAddressInUse, FailureKind.ResourceBusy,
                    $"{requested} on network '{n.Name}' is already held by another container.", requested.ToString());
            cmd.CommandText = "INSERT INTO network_addresses (network, ip, container_id) VALUES ($n, $ip, $c)";
            cmd.Parameters.AddWithValue("$ip", requested.ToString());
            cmd.Parameters.AddWithValue("$c", containerId);
            cmd.ExecuteNonQuery();
            tx.Commit();
            return requested;
        }
        for (uint i = 1; i + 1 < size; i++)
        {
            var ip = FromUInt(base_ + i);
            var s = ip.ToString();
            if (s == n.Gateway || used.Contains(s)) continue;
            cmd.CommandText = "INSERT INTO network_addresses (network, ip, container_id) VALUES ($n, $ip, $c)";
            cmd.Parameters.AddWithValue("$ip", s);
            cmd.Parameters.AddWithValue("$c", containerId);
            cmd.ExecuteNonQuery();
            tx.Commit();
            return ip;
        }
        throw new PodShellException(ErrorIds.NetworkFull, FailureKind.ResourceBusy, $"Network '{n.Name}' ({n.Subnet}) has no free address left.", n.Name);
    }

    /// <summary>Refuses an address outside the network's subnet, its network or broadcast address, or the gateway.</summary>
    public static void CheckHostAddress(ContainerNetwork n, IPAddress ip)
    {
        var net = IPNetwork.Parse(n.Subnet);
        uint v = ip.AddressFamily == AddressFamily.InterNetwork ? ToUInt(ip) : 0;
        uint first = ToUInt(net.BaseAddress);
        uint last = first + (net.PrefixLength == 0 ? uint.MaxValue : (1u << (32 - net.PrefixLength)) - 1);
        if (ip.AddressFamily != AddressFamily.InterNetwork || !net.Contains(ip) || v == first || v == last || ip.ToString() == n.Gateway)
            throw new PodShellException(ErrorIds.InvalidIPAddress, FailureKind.InvalidArgument,
                $"'{ip}' is not a free host address of network '{n.Name}' ({n.Subnet}, gateway {n.Gateway}).", ip.ToString());
    }

    /// <summary>Gives back the container's addresses: on one network (network disconnect), or on all of them.</summary>
    public void Release(string containerId, string? network = null)
    {
        using var c = _store.Open();
        using var tx = c.BeginTransaction(deferred: false);
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM network_addresses WHERE container_id = $c AND ($n IS NULL OR network = $n)";
        cmd.Parameters.AddWithValue("$c", containerId);
        cmd.Parameters.AddWithValue("$n", (object?)network ?? DBNull.Value);
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    public IReadOnlyList<(string Network, string Ip, string ContainerId)> Addresses()
    {
        using var c = _store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT network, ip, container_id FROM network_addresses";
        var list = new List<(string, string, string)>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) list.Add((rd.GetString(0), rd.GetString(1), rd.GetString(2)));
        return list;
    }

    internal static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    internal static IPAddress FromUInt(uint v) => new(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
}
