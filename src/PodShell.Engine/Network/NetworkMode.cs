namespace PodShell.Engine.Network;

/// <summary>The value of -Network (and of -Pid/-Ipc/-Uts where it applies).</summary>
public sealed record NetworkMode(NetworkModeKind Kind, string Value)
{
    public const string DefaultNetworkName = "podshell";

    public static NetworkMode Parse(string? text, bool networksAllowed = true)
    {
        var t = (text ?? "").Trim();
        if (t.Length == 0) return networksAllowed ? new(NetworkModeKind.Bridge, DefaultNetworkName) : new(NetworkModeKind.Private, "");
        if (t == "host") return new(NetworkModeKind.Host, "");
        if (t.StartsWith("container:"))
        {
            var name = t["container:".Length..];
            if (name.Length == 0)
                throw new PodShellException(ErrorIds.InvalidNetworkMode, FailureKind.InvalidArgument, "'container:' needs the name or id of a container, e.g. container:web.", t);
            return new(NetworkModeKind.Container, name);
        }
        if (!networksAllowed)
        {
            if (t == "private") return new(NetworkModeKind.Private, "");
            throw new PodShellException(ErrorIds.InvalidNamespaceMode, FailureKind.InvalidArgument, $"'{t}' is not valid here: use host, private or container:<name>.", t);
        }
        if (t == "none") return new(NetworkModeKind.None, "");
        if (t is "bridge" or "default") return new(NetworkModeKind.Bridge, DefaultNetworkName);
        return new(NetworkModeKind.Bridge, t);
    }

    public override string ToString() => Kind switch
    {
        NetworkModeKind.None => "none",
        NetworkModeKind.Host => "host",
        NetworkModeKind.Private => "private",
        NetworkModeKind.Container => "container:" + Value,
        _ => Value,
    };
}

public enum NetworkModeKind { None, Host, Bridge, Container, Private }
