<#
.SYNOPSIS
Starts again the containers that exited with a non-zero exit code.

.DESCRIPTION
Finds the containers in state Exited whose ExitCode is not 0 (a crash, an error exit, or 128+n for a
signal such as 137 for SIGKILL or an OOM kill) and starts each one again with Start-Container. A container
keeps its writable layer across a restart, so files it wrote before are still there.

Containers that exited with 0 finished their work and are left alone, and so are running and created ones.

Supports -WhatIf and -Confirm: with -WhatIf it only says which containers it would start.

.PARAMETER Name
Container names to look at; wildcards are allowed. All containers by default.

.PARAMETER ExcludeExitCode
Exit codes that do not count as failures, for example 143 (SIGTERM) for containers that were stopped on
purpose.

.PARAMETER PassThru
Write the restarted containers to the pipeline.

.EXAMPLE
./Restart-FailedContainer.ps1 -WhatIf

Shows which containers would be started again.

.EXAMPLE
./Restart-FailedContainer.ps1 -Name 'worker-*' -ExcludeExitCode 137, 143 -PassThru

Starts the failed workers again except those that were killed or stopped by a signal, and lists them.
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
param(
    [Parameter(Position = 0)]
    [SupportsWildcards()]
    [string[]] $Name = '*',

    [int[]] $ExcludeExitCode = @(),

    [switch] $PassThru
)

$failed = @(Get-Container -Name $Name | Where-Object {
        "$($_.State)" -eq 'Exited' -and $null -ne $_.ExitCode -and $_.ExitCode -ne 0 -and $_.ExitCode -notin $ExcludeExitCode
    })
foreach ($c in $failed) {
    if ($PSCmdlet.ShouldProcess($c.Name, "Start container again (exited with code $($c.ExitCode))")) {
        # This script asked already; the cmdlet must not ask again.
        $started = $c | Start-Container -PassThru -Confirm:$false
        if ($PassThru) { $started }
    }
}
