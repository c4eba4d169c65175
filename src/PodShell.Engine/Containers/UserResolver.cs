using PodShell.Engine.Layers;

namespace PodShell.Engine.Containers;

/// <summary>Turns an image's or user's "user[:group]" (names or numbers) into uid/gid the way runc
/// and Podman do: names are looked up in the container's own /etc/passwd and /etc/group, read
/// inside the root filesystem (a symlinked /etc cannot point at the host's).</summary>
public static class UserResolver
{
    public sealed record Result(uint Uid, uint Gid, uint[] AdditionalGids);

    public static Result Resolve(string rootfs, string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return new Result(0, 0, Array.Empty<uint>());
        var parts = spec.Split(':', 2);
        var userPart = parts[0];
        var groupPart = parts.Length > 1 ? parts[1] : null;
        var passwd = ReadEntries(rootfs, "/etc/passwd");
        var groups = ReadEntries(rootfs, "/etc/group");

        uint uid, gid;
        string? userName = null;
        if (uint.TryParse(userPart, out uid))
        {
            var entry = passwd.FirstOrDefault(e => e.Length > 3 && e[2] == userPart);
            gid = entry != null && uint.TryParse(entry[3], out var g) ? g : uid == 0 ? 0u : uid;
            userName = entry?[0];
        }
        else
        {
            var entry = passwd.FirstOrDefault(e => e.Length > 3 && e[0] == userPart)
                ?? throw new PodShellException(ErrorIds.UserNotFound, FailureKind.NotFound,
                    $"User '{userPart}' is not in the container's /etc/passwd; give a numeric uid instead.", spec);
            uid = uint.Parse(entry[2]);
            gid = uint.Parse(entry[3]);
            userName = userPart;
        }
        if (groupPart != null)
        {
            if (!uint.TryParse(groupPart, out gid))
            {
                var g = groups.FirstOrDefault(e => e.Length > 2 && e[0] == groupPart)
                    ?? throw new PodShellException(ErrorIds.GroupNotFound, FailureKind.NotFound,
                        $"Group '{groupPart}' is not in the container's /etc/group; give a numeric gid instead.", spec);
                gid = uint.Parse(g[2]);
            }
        }
        // Supplementary groups: those that list the user by name, as initgroups() would.
        var extra = userName == null ? Array.Empty<uint>() : groups
            .Where(e => e.Length > 3 && e[3].Split(',').Contains(userName) && uint.TryParse(e[2], out _))
            .Select(e => uint.Parse(e[2])).Where(g => g != gid).Distinct().ToArray();
        return new Result(uid, gid, extra);
    }

    private static List<string[]> ReadEntries(string rootfs, string path)
    {
        try
        {
            // Read through a descriptor opened inside the root: the container may run and swap /etc meanwhile.
            var text = Linux.RootedPath.ReadFile(rootfs, path);
            if (text is null) return new List<string[]>();
            return text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':')).ToList();
        }
        catch (IOException) { return new List<string[]>(); }
    }
}
