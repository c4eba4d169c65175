using System.Text.Json;

namespace PodShell.Engine.Runtime.Spec;

internal enum NetworkKind { None, Host, Path }

/// <summary>The network namespace a validated spec asks for: none (a new empty one), the host's, or one to join.</summary>
internal readonly record struct SpecNetwork(NetworkKind Kind, string? Path);

/// <summary>The "linux" section of config.json: sysctls, resources (device rules and limits), cgroupsPath,
/// namespaces, devices, seccomp, masked and read-only paths.</summary>
internal static class SpecLinuxWriter
{
    public static void Write(Utf8JsonWriter w, ContainerSpec spec, HostFacts host, SpecNetwork network, string[] capabilities)
    {
        w.WriteStartObject("linux");

        if (network.Kind != NetworkKind.Host)
        {
            // containers.conf default_sysctls: lets unprivileged ping work without CAP_NET_RAW. runc refuses
            // net.* sysctls in the host's network namespace, so only for a container with its own.
            w.WriteStartObject("sysctl");
            w.WriteString("net.ipv4.ping_group_range", "0 0");
            w.WriteEndObject();
        }

        w.WriteStartObject("resources");
        // Deny every device; runc re-allows its default set (null, zero, full, tty, random, urandom, pts).
        // Privileged allows them all (podman); -Device adds one allow rule per node.
        w.WriteStartArray("devices");
        w.WriteStartObject();
        w.WriteBoolean("allow", spec.Privileged);
        w.WriteString("access", "rwm");
        w.WriteEndObject();
        if (!spec.Privileged)
        {
            foreach (var d in spec.Devices)
            {
                w.WriteStartObject();
                w.WriteBoolean("allow", true);
                w.WriteString("type", d.Type.ToString());
                w.WriteNumber("major", d.Major);
                w.WriteNumber("minor", d.Minor);
                w.WriteString("access", d.Access);
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        if (spec.MemoryMax is { } memory && memory != long.MaxValue)
        {
            // No "swap": podman sets swap = 2x limit only where memory.memsw.limit_in_bytes exists (v1 with
            // swap accounting) or memory.swap.max (v2). A pure builder cannot know that, and runc fails the
            // create when memsw is absent, so swap is left to the cgroup defaults.
            w.WriteStartObject("memory");
            w.WriteNumber("limit", memory);
            w.WriteEndObject();
        }
        if (spec.Cpus is { } cpus)
        {
            // Rounded, not truncated like podman's int64(cores*period): 0.29 must not become 28999.
            w.WriteStartObject("cpu");
            w.WriteNumber("quota", (long)Math.Round(cpus * OciSpecBuilder.CpuPeriod, MidpointRounding.AwayFromZero));
            w.WriteNumber("period", OciSpecBuilder.CpuPeriod);
            w.WriteEndObject();
        }
        var pids = spec.PidsLimit ?? Configuration.ContainerResources.DefaultPidsLimit;
        if (pids > 0 && pids != long.MaxValue)
        {
            w.WriteStartObject("pids");
            w.WriteNumber("limit", pids);
            w.WriteEndObject();
        }
        w.WriteEndObject();

        if (spec.CgroupsPath.Length > 0)
        {
            w.WriteString("cgroupsPath", spec.CgroupsPath);
        }

        // runtime-tools generate.New order; podman fills the network path in place.
        w.WriteStartArray("namespaces");
        // A "host" namespace is simply left out; a path joins another container's (podman pods).
        if (spec.PidNamespacePath != "host") WriteNamespace(w, "pid", spec.PidNamespacePath);
        if (network.Kind == NetworkKind.None) WriteNamespace(w, "network");
        if (network.Kind == NetworkKind.Path) WriteNamespace(w, "network", network.Path);
        if (spec.IpcNamespacePath != "host") WriteNamespace(w, "ipc", spec.IpcNamespacePath);
        if (spec.UtsNamespacePath != "host") WriteNamespace(w, "uts", spec.UtsNamespacePath);
        WriteNamespace(w, "mount");
        // containers/common default.go: cgroupns "private" only on unified v2; on v1 and hybrid a cgroup
        // namespace would hide the v1 paths runc and the engine expect, so podman shares the host's.
        if (host.CgroupV2Unified) WriteNamespace(w, "cgroup");
        w.WriteEndArray();

        if (spec.Devices.Count > 0)
        {
            w.WriteStartArray("devices");
            foreach (var d in spec.Devices)
            {
                w.WriteStartObject();
                w.WriteString("path", d.Path);
                w.WriteString("type", d.Type.ToString());
                w.WriteNumber("major", d.Major);
                w.WriteNumber("minor", d.Minor);
                w.WriteNumber("fileMode", d.FileMode);
                w.WriteNumber("uid", d.Uid);
                w.WriteNumber("gid", d.Gid);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        // podman: --privileged turns seccomp off unless a profile was given explicitly.
        var profile = OciSpecBuilder.Seccomp(spec, host, capabilities);
        profile?.Write(w);

        if (!spec.Privileged)
        {
            SpecJson.WriteStrings(w, "maskedPaths", OciSpecBuilder.MaskedPaths);
            SpecJson.WriteStrings(w, "readonlyPaths", OciSpecBuilder.ReadonlyPaths);
        }
        w.WriteEndObject();
    }

    private static void WriteNamespace(Utf8JsonWriter w, string type, string? path = null)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        if (path is not null) w.WriteString("path", path);
        w.WriteEndObject();
    }
}
