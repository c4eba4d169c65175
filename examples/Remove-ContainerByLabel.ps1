<#
.SYNOPSIS
Removes every container that carries a given label, for example all containers of one test run or one team.

.DESCRIPTION
Finds the containers whose Labels (set with New-Container -Label @{ key = 'value' }) hold the given
key=value pair, and removes them with Remove-Container. Running containers are removed only with -Force,
which stops them first; without it they are reported as errors and left running.

Removing is destructive, so the script asks before each container (ConfirmImpact High). Use -WhatIf to see
what it would remove, and -Confirm:$false in scripts and CI jobs.

.PARAMETER Label
The label as key=value, for example 'team=payments'. The value is compared exactly (case-sensitive), as
labels are.

.PARAMETER Force
Also remove running containers (they are stopped first).

.PARAMETER PassThru
Write the removed containers (as they were before removal) to the pipeline.

.EXAMPLE
./Remove-ContainerByLabel.ps1 -Label 'ci-run=1234' -Force -Confirm:$false

Tears down everything a CI run created, running or not, without asking.

.EXAMPLE
./Remove-ContainerByLabel.ps1 team=payments -WhatIf

Shows which containers of the payments team would be removed.
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param(
    [Parameter(Mandatory, Position = 0)]
    [ValidatePattern('^[^=]+=')]
    [string] $Label,

    [switch] $Force,

    [switch] $PassThru
)

$key, $value = $Label -split '=', 2
$matching = @(Get-Container | Where-Object { $_.Labels -and $_.Labels.ContainsKey($key) -and $_.Labels[$key] -ceq $value })
foreach ($c in $matching) {
    $what = if ("$($c.State)" -eq 'Running') { 'Stop and remove running container' } else { 'Remove container' }
    if ($PSCmdlet.ShouldProcess($c.Name, "$what (label $key=$value)")) {
        $errors = $null
        $c | Remove-Container -Force:$Force -Confirm:$false -ErrorVariable errors
        if ($PassThru -and -not $errors) { $c }
    }
}
