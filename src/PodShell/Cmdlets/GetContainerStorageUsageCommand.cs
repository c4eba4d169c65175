using System.Management.Automation;

namespace PodShell;

/// <summary>Disk space used by images, containers and volumes, and how much is reclaimable (podman system df).</summary>
[Cmdlet(VerbsCommon.Get, "ContainerStorageUsage")]
[OutputType(typeof(StorageUsage))]
public sealed class GetContainerStorageUsageCommand : PodShellCmdlet
{
    protected override void EndProcessing() =>
        Try(() => WriteObject(Engine.GetStorageUsage(CancellationToken), enumerateCollection: true));
}
