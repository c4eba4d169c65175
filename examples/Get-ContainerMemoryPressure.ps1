<#
.SYNOPSIS
Reports the running containers that use more than a given share of their memory limit.

.DESCRIPTION
Reads each running container's cgroup (Get-ContainerCgroup) and compares the memory the kernel charges to
it (MemoryCurrent: process memory plus page cache and tmpfs pages such as /dev/shm) with its limit
(MemoryMax). Containers without a memory limit are skipped: they cannot be "near" a limit they do not have.
Containers that are not running have no cgroup and are skipped too.

Each container at or above the threshold is written as an object with Name, Id, MemoryCurrent, MemoryMax
and Percent, highest first, so the result can be sorted, filtered, exported or alerted on.

.PARAMETER Name
Container names to look at; wildcards are allowed. All containers by default.

.PARAMETER Threshold
The share of the memory limit, in percent, from which a container is reported. Default 80.

.EXAMPLE
./Get-ContainerMemoryPressure.ps1

Lists every running container that uses 80 % or more of its memory limit.

.EXAMPLE
./Get-ContainerMemoryPressure.ps1 -Name 'web-*' -Threshold 90 | Format-Table Name, Percent

Only the web containers, from 90 %.

.EXAMPLE
./Get-ContainerMemoryPressure.ps1 | ForEach-Object { Write-Warning "$($_.Name) is at $($_.Percent) % of its memory limit" }

A check to run from cron or a CI job.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [SupportsWildcards()]
    [string[]] $Name = '*',

    [ValidateRange(0, 100)]
    [double] $Threshold = 80
)

Get-Container -Name $Name |
    Where-Object { "$($_.State)" -eq 'Running' } |
    Get-ContainerCgroup -ErrorAction SilentlyContinue |
    Where-Object { $_.MemoryMax -gt 0 -and $_.MemoryMax -ne [long]::MaxValue } |
    ForEach-Object {
        [pscustomobject]@{
            PSTypeName    = 'PodShell.Example.MemoryPressure'
            Name          = $_.ContainerName
            Id            = $_.ContainerId
            MemoryCurrent = $_.MemoryCurrent
            MemoryMax     = $_.MemoryMax
            Percent       = [math]::Round(100.0 * $_.MemoryCurrent / $_.MemoryMax, 1)
        }
    } |
    Where-Object Percent -GE $Threshold |
    Sort-Object Percent -Descending
