using PodShell.Engine.Runtime;

namespace PodShell.Engine;

public sealed partial class ContainerEngine
{
    private void StartUserModeNetwork(Container c, ContainerPaths paths, string netns)
    {
        // Filled in with slirp4netns.
    }

    private void StopUserModeNetwork(string id)
    {
    }
}
