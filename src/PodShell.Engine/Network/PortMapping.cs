using System.Net;
using System.Text.Json.Serialization;

namespace PodShell.Engine.Network;

/// <summary>One -Publish value: [hostIp:]hostPort[-end]:containerPort[-end][/tcp|udp] (podman run -p).
/// A range maps port for port, so both sides must be the same length. Stored as it is in the container's
/// configuration: the JSON names are part of the store's format.</summary>
public sealed record PortMapping(
    [property: JsonPropertyName("hostIp")] string HostIp,
    [property: JsonPropertyName("hostPort")] int HostPort,
    [property: JsonPropertyName("containerPort")] int ContainerPort,
    [property: JsonPropertyName("range")] int Range,
    [property: JsonPropertyName("protocol")] string Protocol)
{
    public static PortMapping Parse(string spec)
    {
        PodShellException Bad(string why) => new(ErrorIds.InvalidPublish, FailureKind.InvalidArgument,
            $"-Publish '{spec}' is not valid: {why}. Use [hostIp:]hostPort:containerPort[/tcp|udp], e.g. 127.0.0.1:8080:80 or 9000-9002:9000-9002/udp.", spec);
        var s = spec.Trim();
        var proto = "tcp";
        int slash = s.LastIndexOf('/');
        if (slash >= 0)
        {
            proto = s[(slash + 1)..].ToLowerInvariant();
            s = s[..slash];
            if (proto is not ("tcp" or "udp")) throw Bad("the protocol must be tcp or udp");
        }
        int last = s.LastIndexOf(':');
        if (last < 0) throw Bad("both a host port and a container port are needed");
        var ctr = s[(last + 1)..];
        var rest = s[..last];
        string hostIp = "";
        string host = rest;
        int ipColon = rest.LastIndexOf(':');
        if (ipColon >= 0)
        {
            hostIp = rest[..ipColon].Trim('[', ']');
            host = rest[(ipColon + 1)..];
            if (hostIp.Length > 0 && !IPAddress.TryParse(hostIp, out _)) throw Bad($"'{hostIp}' is not an IP address");
        }
        var (hs, he) = ParseRange(host, Bad);
        var (cs, ce) = ParseRange(ctr, Bad);
        if (he - hs != ce - cs) throw Bad("the host and container ranges differ in length");
        return new PortMapping(hostIp, hs, cs, he - hs + 1, proto);
    }

    private static (int, int) ParseRange(string text, Func<string, PodShellException> bad)
    {
        var parts = text.Split('-');
        if (parts.Length is < 1 or > 2) throw bad($"'{text}' is not a port or port range");
        int P(string p) => int.TryParse(p, out var v) && v is > 0 and <= 65535 ? v : throw bad($"'{p}' is not a port between 1 and 65535");
        int a = P(parts[0]);
        int b = parts.Length == 2 ? P(parts[1]) : a;
        if (b < a) throw bad($"the range '{text}' ends before it starts");
        return (a, b);
    }

    public override string ToString() =>
        (HostIp.Length > 0 ? (HostIp.Contains(':') ? $"[{HostIp}]:" : HostIp + ":") : "")
        + (Range == 1 ? $"{HostPort}:{ContainerPort}" : $"{HostPort}-{HostPort + Range - 1}:{ContainerPort}-{ContainerPort + Range - 1}")
        + "/" + Protocol;
}
