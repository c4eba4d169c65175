using System.Diagnostics;

namespace PodShell.Engine.Tests.Network;

/// <summary>What the network tests share: running a host tool (ip, iptables-save) and a free loopback port.</summary>
internal static class NetworkTestSupport
{
    /// <summary>Standard output and error of a host tool, as one string (both read at once so neither pipe fills).</summary>
    public static string Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return o.Result + e.Result;
    }

    public static int FreePort() => Registry.FakeRegistry.FreePort();
}
