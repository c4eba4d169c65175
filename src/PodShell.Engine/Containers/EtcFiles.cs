namespace PodShell.Engine.Containers;

/// <summary>The /etc files the engine generates for each container and bind-mounts over the image's.</summary>
public static class EtcFiles
{
    /// <summary>With networks: the container's own addresses name it (instead of 127.0.1.1), and the
    /// gateway is host.containers.internal, as podman's etchosts does.</summary>
    public static string Hosts(string hostname, IReadOnlyList<(string Ip, string Names)> own, string? gateway)
    {
        if (own.Count == 0) return Hosts(hostname);
        var sb = new System.Text.StringBuilder();
        sb.Append("127.0.0.1\tlocalhost localhost.localdomain\n");
        sb.Append("::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n");
        foreach (var (ip, names) in own) sb.Append($"{ip}\t{names}\n");
        if (gateway != null) sb.Append($"{gateway}\thost.containers.internal\n");
        return sb.ToString();
    }

    /// <summary>A resolv.conf pointing at aardvark-dns on the network's gateway, with the host's search
    /// domains and options kept.</summary>
    public static string ResolvConf(IReadOnlyList<string> nameservers, string searchDomain, string hostFile = "/etc/resolv.conf")
    {
        var host = ResolvConf(hostFile).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.TrimStart().StartsWith("nameserver")).ToList();
        var search = host.FirstOrDefault(l => l.TrimStart().StartsWith("search"));
        var sb = new System.Text.StringBuilder();
        sb.Append("search ").Append(searchDomain);
        if (search != null) sb.Append(' ').Append(search.Trim()["search".Length..].Trim());
        sb.Append('\n');
        foreach (var l in host.Where(l => !l.TrimStart().StartsWith("search"))) sb.Append(l).Append('\n');
        foreach (var ns in nameservers.Where(n => !n.StartsWith("127."))) sb.Append("nameserver ").Append(ns).Append('\n');
        return sb.ToString();
    }

    public static string Hosts(string hostname, string hostHostsFile = "/etc/hosts")
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("127.0.0.1\tlocalhost localhost.localdomain\n");
        sb.Append("::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n");
        sb.Append($"127.0.1.1\t{hostname}\n");
        return sb.ToString();
    }

    /// <summary>The host's resolv.conf without loopback nameservers: the container cannot reach the
    /// host's 127.x resolver (design.md, Upstream U9). systemd-resolved's stub is replaced by its upstream file.</summary>
    public static string ResolvConf(string hostFile = "/etc/resolv.conf")
    {
        string text;
        try
        {
            text = File.ReadAllText(hostFile);
            if (text.Contains("127.0.0.53") && File.Exists("/run/systemd/resolve/resolv.conf"))
                text = File.ReadAllText("/run/systemd/resolve/resolv.conf");
        }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
        var lines = text.Split('\n').Where(l =>
        {
            var t = l.Trim();
            if (!t.StartsWith("nameserver")) return true;
            var addr = t.Substring("nameserver".Length).Trim();
            return !(addr.StartsWith("127.") || addr == "::1");
        });
        return string.Join('\n', lines).TrimEnd() + "\n";
    }
}
