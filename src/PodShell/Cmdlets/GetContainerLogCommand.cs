using System.Globalization;
using System.Management.Automation;

namespace PodShell;

/// <summary>Returns a container's output as objects with Time, Stream and Line (podman logs).</summary>
[Cmdlet(VerbsCommon.Get, "ContainerLog", DefaultParameterSetName = ByName)]
[OutputType(typeof(ContainerLogEntry))]
[OutputType(typeof(string))]
public sealed class GetContainerLogCommand : ContainerTargetCmdlet
{
    /// <summary>Only the last N lines.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Tail { get; set; } = -1;

    /// <summary>Only lines written at or after this time.</summary>
    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Keep returning new lines until the container exits (or Ctrl+C).</summary>
    [Parameter]
    [Alias("f")]
    public SwitchParameter Follow { get; set; }

    /// <summary>Return "&lt;RFC3339 time&gt; &lt;line&gt;" strings, as podman logs -t prints.</summary>
    [Parameter]
    [Alias("t")]
    public SwitchParameter Timestamps { get; set; }

    protected override void ProcessRecord()
    {
        DateTime? since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since : null;
        foreach (var c in Targets())
        {
            // The engine's enumeration blocks while following; it runs here, on the pipeline thread,
            // so WriteObject is legal, and StopProcessing cancels it through the token.
            Try(() =>
            {
                foreach (var l in Engine.GetLogs(c.Id, Tail, since, Follow.IsPresent, CancellationToken))
                {
                    if (Timestamps) WriteObject(FormatWithTime(l));
                    else WriteObject(l);
                }
            });
        }
    }

    /// <summary>Local time with its offset and seven fractional digits (.NET ticks), like conmon's own
    /// timestamps but without the two digits a DateTime cannot hold.</summary>
    internal static string FormatWithTime(ContainerLogEntry e) =>
        e.Time.ToLocalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK", CultureInfo.InvariantCulture) + " " + e.Line;
}
