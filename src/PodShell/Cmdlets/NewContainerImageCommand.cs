using System.Management.Automation;

namespace PodShell;

/// <summary>Makes an image from a container (podman commit): the container's changes become a new top
/// layer, and the image's config is updated with -Change.</summary>
[Cmdlet(VerbsCommon.New, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ContainerImage))]
public sealed class NewContainerImageCommand : PodShellCmdlet
{
    /// <summary>The container: a name, an id or a Container object.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ContainerTransformation]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Container { get; set; } = "";

    /// <summary>The new image's name, name:tag.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A comment kept in the image's history.</summary>
    [Parameter]
    public string? Message { get; set; }

    /// <summary>The image's author.</summary>
    [Parameter]
    public string? Author { get; set; }

    /// <summary>Dockerfile instructions applied to the config: 'CMD=...', 'ENTRYPOINT=...', 'ENV=K=V', 'LABEL=K=V',
    /// 'EXPOSE=80', 'WORKDIR=/x', 'USER=u', 'STOPSIGNAL=SIGINT'.</summary>
    [Parameter]
    public string[] Change { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Container, $"Commit as image '{Name}'")) return;
        Try(() => WriteObject(Engine.CommitContainer(Container, Name, Message, Change, Author, CancellationToken)));
    }
}
