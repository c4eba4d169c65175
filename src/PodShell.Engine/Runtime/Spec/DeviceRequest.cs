namespace PodShell.Engine.Runtime.Spec;

/// <summary>podman --device: "/dev/host[:/dev/container][:permissions]", permissions a subset of "rwm"
/// (read, write, mknod) for the device cgroup; the container path defaults to the host path.</summary>
public sealed record DeviceRequest(string HostPath, string ContainerPath, string Access)
{
    public override string ToString() => $"{HostPath}:{ContainerPath}:{Access}";

    public static DeviceRequest Parse(string? text)
    {
        text ??= "";
        var parts = text.Split(':');
        string host = parts[0], container = parts[0], access = "rwm";
        switch (parts.Length)
        {
            case 1:
                break;
            case 2 when IsAccess(parts[1]):
                access = parts[1];
                break;
            case 2:
                container = parts[1];
                break;
            case 3:
                container = parts[1];
                access = parts[2];
                break;
            default:
                throw Invalid(text, "expected /dev/host[:/dev/container][:rwm]");
        }
        if (!host.StartsWith('/')) throw Invalid(text, "the host path must be absolute");
        if (!container.StartsWith("/dev/", StringComparison.Ordinal)) throw Invalid(text, "the container path must be under /dev/");
        if (!IsAccess(access)) throw Invalid(text, $"'{access}' is not a set of permissions from r, w and m");
        return new DeviceRequest(host, container, access);
    }

    private static bool IsAccess(string s) =>
        s.Length is > 0 and <= 3 && s.All(c => c is 'r' or 'w' or 'm') && s.Distinct().Count() == s.Length;

    private static PodShellException Invalid(string text, string why) =>
        new(ErrorIds.InvalidDevice, FailureKind.InvalidArgument, $"'{text}' is not a valid device: {why}.", text);
}
