using System.Management.Automation;
using PodShell.Engine;
using PodShell.Engine.Images.Registry;

namespace PodShell;

/// <summary>Pushes a local image to an OCI registry (podman push).</summary>
[Cmdlet(VerbsData.Publish, "ContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias("Push-ContainerImage")]
[OutputType(typeof(ContainerImage))]
public sealed class PublishContainerImageCommand : PodShellCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SwitchParameter AllowInsecure { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Destination, $"Push image '{Name}'")) return;
        var options = new PushOptions
        {
            Credentials = Credential is null ? null : new RegistryCredentials(Credential.UserName, Credential.GetNetworkCredential().Password),
            AllowInsecure = AllowInsecure,
        };
        var progress = new TransferProgressWriter(this, $"Pushing {Name} to {Destination}");
        try
        {
            Try(() =>
            {
                var result = Engine.PushImage(Name, Destination, options, progress, CancellationToken);
                WriteVerbose($"Pushed {result.Destination}: manifest {result.ManifestDigest}, {result.BlobsUploaded} blob(s) uploaded, {result.BlobsSkipped} already there.");
                if (!PassThru) return;
                var image = PSObject.AsPSObject(Engine.ResolveImage(Name));
                image.Properties.Add(new PSNoteProperty("PushedReference", result.Destination));
                image.Properties.Add(new PSNoteProperty("PushedDigest", result.ManifestDigest));
                WriteObject(image);
            });
        }
        finally
        {
            progress.Complete();
        }
    }
}
