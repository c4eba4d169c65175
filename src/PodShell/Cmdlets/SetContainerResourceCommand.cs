using System.Management.Automation;
using PodShell.Engine;

namespace PodShell;

/// <summary>Changes the memory, CPU and pids limits of running containers (podman update). The values are
/// written to the container's cgroup, where the kernel enforces them at once, and kept for later starts.</summary>
[Cmdlet(VerbsCommon.Set, "ContainerResource", DefaultParameterSetName = ByName, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ContainerCgroup))]
public sealed class SetContainerResourceCommand : ContainerTargetCmdlet
{
    /// <summary>Memory limit: bytes (512MB) or podman's strings ('512m', '1g'); 'max' or -1 lifts it.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Memory { get; set; }

    /// <summary>CPU limit in CPUs (0.5 = half a CPU); 0 lifts it.</summary>
    [Parameter]
    [ValidateRange(0, 1024)]
    public double Cpus { get; set; }

    /// <summary>Most processes the container may have; 0 or -1 lifts the limit.</summary>
    [Parameter]
    [ValidateRange(-1, long.MaxValue)]
    public long PidsLimit { get; set; }

    /// <summary>Write the container's cgroup as read back after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Memory is null && !MyInvocation.BoundParameters.ContainsKey(nameof(Cpus)) && !MyInvocation.BoundParameters.ContainsKey(nameof(PidsLimit)))
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give at least one of -Memory, -Cpus or -PidsLimit."),
                ErrorIds.NoResourceGiven, ErrorCategory.InvalidArgument, null));
    }

    protected override void ProcessRecord()
    {
        long? memory = null;
        if (Memory is not null)
        {
            var raw = Memory is PSObject ps ? ps.BaseObject : Memory;
            if (raw is string s && (s == "max" || s == "-1") || raw is int i1 && i1 == -1 || raw is long l1 && l1 == -1)
                memory = long.MaxValue;
            else if (!Try(() => memory = raw switch
                {
                    long l when l > 0 => l,
                    int i when i > 0 => i,
                    double d when d > 0 && d == Math.Floor(d) && d < long.MaxValue => (long)d,
                    _ => ByteSize.Parse(Convert.ToString(raw, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                }))
                return;
        }
        double? cpus = MyInvocation.BoundParameters.ContainsKey(nameof(Cpus)) ? (Cpus == 0 ? double.PositiveInfinity : Cpus) : null;
        long? pids = MyInvocation.BoundParameters.ContainsKey(nameof(PidsLimit)) ? (PidsLimit <= 0 ? long.MaxValue : PidsLimit) : null;
        var what = string.Join(", ", new[]
        {
            memory is { } m ? "Memory=" + (m == long.MaxValue ? "max" : ByteSize.Format(m)) : null,
            cpus is { } c ? "Cpus=" + (double.IsPositiveInfinity(c) ? "max" : c.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null,
            pids is { } p ? "PidsLimit=" + (p == long.MaxValue ? "max" : p.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null,
        }.Where(x => x is not null));
        foreach (var target in Targets())
        {
            if (!ShouldProcess(target.Name, "Set " + what)) continue;
            Try(() =>
            {
                var cg = Engine.SetResources(target.Id, memory, cpus, pids);
                if (PassThru) WriteObject(cg);
            });
        }
    }
}
