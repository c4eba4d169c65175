using PodShell.Engine;
using System.Management.Automation;

namespace PodShell;

/// <summary>Copies files between a container and the host (podman cp). Either side is '&lt;container&gt;:&lt;path&gt;';
/// paths in the container are resolved inside it, so its symlinks never lead to host files.</summary>
[Cmdlet(VerbsCommon.Copy, "ContainerItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileSystemInfo), typeof(string))]
public sealed class CopyContainerItemCommand : PodShellCmdlet
{
    /// <summary>What to copy: a host path, or container:path. A trailing '/.' copies a directory's contents.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Where to: a host path, or container:path. Into an existing directory the source keeps its name.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Write what was created: a FileInfo/DirectoryInfo on the host, or the path inside the container.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    // "name:path" names a container unless it looks like a drive-qualified or relative host path.
    private static (string? Container, string Path) Split(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon <= 0 || spec.StartsWith('/') || spec.StartsWith('.')) return (null, spec);
        return (spec[..colon], spec[(colon + 1)..]);
    }

    protected override void ProcessRecord()
    {
        var (srcC, srcP) = Split(Path);
        var (dstC, dstP) = Split(Destination);
        if ((srcC is null) == (dstC is null))
        {
            WriteError(new ErrorRecord(new PSArgumentException("Exactly one of -Path and -Destination must be '<container>:<path>'."),
                ErrorIds.InvalidCopyPaths, ErrorCategory.InvalidArgument, Path));
            return;
        }
        if (srcC is not null)
        {
            var host = GetUnresolvedProviderPathFromPSPath(dstP);
            if (host.Length > 1 && (dstP.EndsWith('/') || dstP.EndsWith("/."))) host = host.TrimEnd('/') + "/";
            if (!ShouldProcess(host, $"Copy {Path}")) return;
            Try(() =>
            {
                var written = Engine.CopyFromContainer(srcC, srcP.Length == 0 ? "/" : srcP, host, CancellationToken);
                if (PassThru) WriteObject(Directory.Exists(written) ? new DirectoryInfo(written) : new FileInfo(written));
            });
        }
        else
        {
            var host = GetUnresolvedProviderPathFromPSPath(srcP);
            if (srcP.EndsWith("/.")) host = host.TrimEnd('/', '.') + "/.";
            if (!ShouldProcess(Destination, $"Copy {host}")) return;
            Try(() =>
            {
                var written = Engine.CopyToContainer(host, dstC!, dstP.Length == 0 ? "/" : dstP, CancellationToken);
                if (PassThru) WriteObject(dstC + ":" + written);
            });
        }
    }
}
