using PodShell.Engine.Network;

namespace PodShell.Engine.Configuration;

public enum NamespaceModeKind { Private, Host, Container }

/// <summary>Which PID, IPC or UTS namespace a container gets: its own, the host's, or another container's
/// (by id once created). Stored and shown in its text form: "private", "host", "container:&lt;id&gt;".</summary>
public sealed record NamespaceMode(NamespaceModeKind Kind, string ContainerId = "")
{
    public static readonly NamespaceMode Private = new(NamespaceModeKind.Private);
    public static readonly NamespaceMode Host = new(NamespaceModeKind.Host);

    /// <summary>A -Pid/-Ipc/-Uts value as given: null or "private", "host", "container:&lt;name or id&gt;".
    /// Throws InvalidNamespaceMode (or InvalidNetworkMode for an empty "container:"), as New-Container always has.</summary>
    public static NamespaceMode Parse(string? text)
    {
        var m = NetworkMode.Parse(text, networksAllowed: false);
        return m.Kind switch
        {
            NetworkModeKind.Host => Host,
            NetworkModeKind.Container => new NamespaceMode(NamespaceModeKind.Container, m.Value),
            _ => Private,
        };
    }

    public override string ToString() => Kind switch
    {
        NamespaceModeKind.Host => "host",
        NamespaceModeKind.Container => "container:" + ContainerId,
        _ => "private",
    };
}
