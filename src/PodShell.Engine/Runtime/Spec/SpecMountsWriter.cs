using System.Globalization;
using System.Text.Json;

namespace PodShell.Engine.Runtime.Spec;

/// <summary>The "mounts" array of config.json: podman's base set of pseudo-filesystems, the engine's /etc files and
/// /dev/shm, the cgroup tree, the read-only-rootfs scratch tmpfs, then the container's own mounts.</summary>
internal static class SpecMountsWriter
{
    private const string ShmSize = "size=65536k";

    public static void Write(Utf8JsonWriter w, ContainerSpec spec)
    {
        w.WriteStartArray("mounts");
        // Base set and options as podman 4.3.1 wrote them [design.md, Upstream U4; runtime-tools' default
        // /dev/shm is replaced by podman's own below, and /sys/fs/cgroup is added last.
        WriteMount(w, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        WriteMount(w, "/dev", "tmpfs", "tmpfs", "nosuid", "noexec", "strictatime", "mode=755", ShmSize);
        // podman --privileged mounts /sys (and the cgroup tree below) read-write.
        // sysfs may only be mounted by the owner of the network namespace (the host mode says when it is not).
        if (spec.SysfsFromHost)
            WriteMount(w, "/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
        else
            WriteMount(w, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", spec.Privileged ? "rw" : "ro");
        WriteMount(w, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        if (spec.MqueueFromHost)
            WriteMount(w, "/dev/mqueue", "bind", "/dev/mqueue", "bind", "nosuid", "noexec", "nodev");
        else
            WriteMount(w, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        // rprivate: mount events under these files must not propagate back to the host.
        WriteBind(w, "/etc/hostname", spec.HostnameFile);
        WriteBind(w, "/etc/resolv.conf", spec.ResolvConfFile);
        WriteBind(w, "/etc/hosts", spec.HostsFile);
        if (spec.ShmDir is not null)
        {
            WriteMount(w, "/dev/shm", "bind", spec.ShmDir, "bind", "rprivate", "nosuid", "noexec", "nodev");
        }
        else
        {
            WriteMount(w, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777",
                spec.ShmSize is { } shm ? "size=" + shm.ToString(CultureInfo.InvariantCulture) : ShmSize);
        }
        WriteBind(w, "/run/.containerenv", spec.ContainerEnvFile);
        // On v1 runc builds a tmpfs with one bind per controller here; on v2 it mounts cgroup2 (scoped by the
        // private cgroup namespace). Read-only either way so the container cannot raise its own limits.
        // Left out when the host mode says so (a container without a cgroup of its own would see someone else's).
        if (spec.MountCgroupfs)
            WriteMount(w, "/sys/fs/cgroup", "cgroup", "cgroup", "rprivate", "nosuid", "noexec", "nodev", "relatime", spec.Privileged ? "rw" : "ro");
        if (spec.ReadOnlyRootfs)
        {
            // podman's --read-only-tmpfs default; tmpcopyup keeps what the image has there (runc and crun
            // both implement it). A user mount on the same path wins, as in podman.
            foreach (var path in OciSpecBuilder.ReadOnlyTmpfsPaths.Where(p => !spec.Mounts.Any(m => m.Destination.TrimEnd('/') == p)))
            {
                WriteMount(w, path, "tmpfs", "tmpfs", "rw", "rprivate", "nosuid", "nodev", "tmpcopyup");
            }
        }
        // User mounts (volumes, binds, tmpfs) come last so they can cover anything above, as in podman.
        foreach (var m in spec.Mounts)
            WriteMount(w, m.Destination, m.Type, m.Source, m.Options);
        w.WriteEndArray();
    }

    private static void WriteBind(Utf8JsonWriter w, string destination, string? source)
    {
        if (source is not null)
        {
            WriteMount(w, destination, "bind", source, "bind", "rprivate");
        }
    }

    private static void WriteMount(Utf8JsonWriter w, string destination, string type, string source, params string[] options)
    {
        w.WriteStartObject();
        w.WriteString("destination", destination);
        w.WriteString("type", type);
        w.WriteString("source", source);
        SpecJson.WriteStrings(w, "options", options);
        w.WriteEndObject();
    }
}
