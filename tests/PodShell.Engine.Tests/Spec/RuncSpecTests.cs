using System.Diagnostics;
using PodShell.Engine.Runtime.Spec;

namespace PodShell.Engine.Tests.Spec;

/// <summary>Runs a config.json from the builder through the real runc: proves the spec is accepted by the
/// runtime on this host (rlimit clamping, hybrid cgroups, namespaces, mounts) and that the container gets
/// exactly podman's capabilities.</summary>
public class RuncSpecTests
{
    private const string Runc = "runc";
    private const string PodmanDefaultCapEff = "00000000800405fb";

    [MachineFact(Needs.Root)]
    public void Busybox_container_runs_with_podmans_capabilities()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var id = "spec-" + suffix;
        var cgroupParent = "podshell-xunit-" + suffix;
        var temp = Directory.CreateTempSubdirectory("podshell-spec-");
        var runcRoot = Path.Combine(temp.FullName, "runc");
        var bundle = Path.Combine(temp.FullName, "bundle");
        var rootfs = Path.Combine(bundle, "rootfs");
        try
        {
            foreach (var dir in new[] { "bin", "proc", "sys", "dev", "etc", "tmp" })
            {
                Directory.CreateDirectory(Path.Combine(rootfs, dir));
            }
            File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
            foreach (var applet in new[] { "sh", "echo", "hostname", "cat", "grep" })
            {
                File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
            }

            var spec = new ContainerSpec
            {
                Id = id,
                Name = id,
                Hostname = "spec-test",
                Args = ["/bin/sh", "-c", "hostname; cat /proc/self/status | grep CapEff"],
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=podshell"],
                RootfsPath = rootfs,
                CgroupsPath = $"/{cgroupParent}/{id}",
                PidsLimit = 64,
            };
            File.WriteAllText(Path.Combine(bundle, "config.json"), OciSpecBuilder.Build(spec, HostFacts.Probe()));

            var (exitCode, stdout, stderr) = RunRunc("--root", runcRoot, "run", "--bundle", bundle, id);

            Assert.True(exitCode == 0, $"runc run exited {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
            var lines = stdout.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("spec-test", lines);
            Assert.Contains($"CapEff:\t{PodmanDefaultCapEff}", stdout);
        }
        finally
        {
            RunRunc("--root", runcRoot, "delete", "--force", id);
            RemoveCgroupDirs(cgroupParent, id);
            temp.Delete(recursive: true);
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) RunRunc(params string[] args)
    {
        var psi = new ProcessStartInfo(Runc)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close(); // the container sees EOF on stdin, as with </dev/null
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        // A safety net against a hung runtime, not a timing assertion.
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            process.WaitForExit();
            return (-1, stdoutTask.Result, "runc did not exit within 2 minutes and was killed\n" + stderrTask.Result);
        }
        return (process.ExitCode, stdoutTask.Result, stderrTask.Result);
    }

    /// <summary>runc removes the container's own cgroup but not the parent it created for the cgroupsPath,
    /// in every v1 controller hierarchy and in the unified one on hybrid hosts.</summary>
    private static void RemoveCgroupDirs(string parent, string id)
    {
        var hierarchies = Directory.GetDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup");
        foreach (var hierarchy in hierarchies)
        {
            foreach (var dir in new[] { Path.Combine(hierarchy, parent, id), Path.Combine(hierarchy, parent) })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir); // rmdir(2): cgroup dirs cannot be emptied, only removed
                }
            }
        }
    }
}
