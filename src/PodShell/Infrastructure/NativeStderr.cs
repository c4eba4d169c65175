using System.Management.Automation;
using System.Reflection;

namespace PodShell;

/// <summary>A container's stderr lines as an error stream that never terminates, as PowerShell 7.2+ treats a
/// native command's stderr: each line is an ErrorRecord (a RemoteException holding the line, category
/// FromStdErr), so `2>&amp;1` merges it, `2>$null` drops it, -ErrorVariable collects it and -ErrorAction
/// SilentlyContinue or Ignore hide it; but Stop and Inquire ($ErrorActionPreference or -ErrorAction) are taken as
/// Continue for these records: a stderr line is shown and the run goes on. The exit code, not stderr, says
/// whether the run failed: the cmdlets write ContainerFailed / ContainerCommandFailed for it, and that error
/// does follow the preference (terminating under Stop, as $PSNativeCommandUseErrorActionPreference = $true makes
/// a native command's non-zero exit).
///
/// A cmdlet cannot pass a preference to WriteError; PowerShell's own path for one record,
/// MshCommandRuntime._WriteErrorSkipAllowCheck(record, preference, isFromNativeStdError), is reached by
/// reflection with Continue, after giving the record the cmdlet's InvocationInfo as WriteError does. Where that
/// method is missing (a PowerShell that changed it; Conventions.Tests would fail), a line that would stop goes
/// to the host's error output instead, so it is seen and nothing throws.</summary>
internal static class NativeStderr
{
    private static readonly MethodInfo? WriteWithPreference = typeof(PSCmdlet).Assembly
        .GetType("System.Management.Automation.MshCommandRuntime")
        ?.GetMethod("_WriteErrorSkipAllowCheck", BindingFlags.Instance | BindingFlags.NonPublic,
            [typeof(ErrorRecord), typeof(ActionPreference?), typeof(bool)]);

    private static readonly MethodInfo? SetInvocationInfo = typeof(ErrorRecord)
        .GetMethod("SetInvocationInfo", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(InvocationInfo)]);

    /// <summary>Writes one stderr record (a RemoteException holding the line, category FromStdErr).</summary>
    public static void Write(PSCmdlet cmdlet, ErrorRecord record)
    {
        if (!WouldStop(cmdlet))
        {
            cmdlet.WriteError(record);
            return;
        }
        if (WriteWithPreference is not null && cmdlet.CommandRuntime is { } runtime && WriteWithPreference.DeclaringType!.IsInstanceOfType(runtime))
        {
            SetInvocationInfo?.Invoke(record, [cmdlet.MyInvocation]);
            try
            {
                WriteWithPreference.Invoke(runtime, [record, ActionPreference.Continue, false]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                // Ctrl+C (PipelineStoppedException from the runtime's stop check) must arrive as itself.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
            return;
        }
        cmdlet.Host.UI.WriteErrorLine(record.Exception.Message);
    }

    private static bool WouldStop(PSCmdlet cmdlet)
    {
        object? pref = cmdlet.MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var bound)
            ? bound
            : cmdlet.GetVariableValue("ErrorActionPreference");
        return LanguagePrimitives.TryConvertTo<ActionPreference>(pref, out var p)
            && p is ActionPreference.Stop or ActionPreference.Inquire or ActionPreference.Suspend;
    }
}
