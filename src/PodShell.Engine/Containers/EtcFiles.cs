namespace PodShell.Engine.Containers;

/// <summary>The /etc files the engine generates for each container and bind-mounts over the image's.</summary>
public static class EtcFiles
{
    public static string Hosts(string hostname, string hostHostsFile = "/etc/hosts")
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("127.0.0.1\tlocalhost localhost.localdomain\n");
        sb.Append("::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n");
        sb.Append($"127.0.1.1\t{hostname}\n");
        return sb.ToString();
    }

    /// <summary>The host's resolv.conf without loopback nameservers: the container cannot reach the
    /// host's 127.x resolver (engine-reference §10.14). systemd-resolved's stub is replaced by its upstream file.</summary>
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
