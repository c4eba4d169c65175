using System.Runtime.CompilerServices;

namespace PodShell.Engine.Tests.Network;

internal static class NetworkTestEnvironment
{
    /// <summary>Every engine the tests make gets a default network of its own run, never podman's
    /// 10.88.0.0/16 or a bridge a real engine on this host could be using.</summary>
    [ModuleInitializer]
    internal static void Init()
    {
        var tag = Environment.ProcessId % 200 + 20;
        if (Environment.GetEnvironmentVariable("PODSHELL_DEFAULT_SUBNET") is null)
            Environment.SetEnvironmentVariable("PODSHELL_DEFAULT_SUBNET", $"10.213.{tag}.0/24");
        if (Environment.GetEnvironmentVariable("PODSHELL_BRIDGE") is null)
            Environment.SetEnvironmentVariable("PODSHELL_BRIDGE", $"psxu{Environment.ProcessId % 100000}");
    }
}
