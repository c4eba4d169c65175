#!/usr/bin/env pwsh
<#
.SYNOPSIS
Issue 15's stress campaign against the engine: a kill -9 matrix, a parallel lifecycle and four races; prints a table
of operations, kills, leaks found, records lost and bad outcomes.

.DESCRIPTION
Run by `build.ps1 Stress` (dotnet pwsh -NoProfile -File stress/Stress.ps1 -ModulePath module/PodShell). Everything
lives under a private work dir in /tmp: the graph and run roots, the cgroup parent, a bridge name and subnet of its
own (PODSHELL_* variables, set before the module or any worker is imported), so no real store is touched; the
containers use -Network none (loopback only). The workers are pwsh processes this script starts (stress/Child.ps1),
each pre-warmed (module imported, one engine call made) so that a kill lands inside the operation and not in the
pwsh start; they are ended by their own pid, and every one is accounted for at the end.

Parts (-Part picks some):
  selftest    each kind of leak, a broken container and a lost record are planted by hand and must be found, and a
              clean store must show none (a harness that cannot fail proves nothing)
  kill        for each operation, a worker runs it and is SIGKILLed after a random delay in [0, its measured
              duration]; then this process makes one engine call and looks for leaks and lost records
  parallel    6 workers each run create/start/stop/remove cycles on a few shared names
  copy        (race a) Copy-ContainerItem in and out from 4 workers while the container swaps a directory with a
              symlink to a host dir: the issue's mv loop, then an atomic swap (stress/swap.c, when gcc is there)
  rmi         (race b) Remove-ContainerImage -Force started while New-Container runs from the same image
  import      (race c) Import-ContainerImage of a large rootfs killed mid-extraction; .incomplete-* left
  autoremove  (race d) Invoke-Container -AutoRemove whose pwsh is killed while the container runs

What counts as a leak (after one engine call): a mount under the work dir of no container, or an exited container's
rootfs still mounted; a cgroup under the parent of a container that is not running; a process whose command line
names the work dir (conmon, runc) of a container that is not running, or a runtime process orphaned by a kill still
alive 10 s later; a netns file, runtime state
dir, bundle or run dir of no container; a `.incomplete-*` dir or incomplete layer, a blob temp file of a dead
writer; a layer dir no image or container uses; a record stuck in Creating, Starting, Stopping or Removing;
`PRAGMA integrity_check` other than ok. Each distinct leak is counted once. A record lost is a container or image
that existed before the kill (and was not the one being removed) and is gone after.

Budget: each part has an operation count and a wall-clock budget; -Iterations and -Duration multiply them. The
defaults take about 6-8 minutes on 2 cores. Exit code 1 when any leak, lost record or bad outcome was found.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../module/PodShell'),
    [string[]] $Part = @('selftest', 'kill', 'parallel', 'copy', 'rmi', 'import', 'autoremove'),
    # Multiplies every part's operation count (kills per operation, cycles per worker, race rounds).
    [double] $Iterations = 1,
    # Multiplies every part's wall-clock budget.
    [double] $Duration = 1,
    [int] $Seed = -1,
    [string] $WorkDir
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Part = @($Part -split ',' | ForEach-Object { $_.Trim().ToLowerInvariant() } | Where-Object { $_ })
$known = 'selftest', 'kill', 'parallel', 'copy', 'rmi', 'import', 'autoremove'
foreach ($p in $Part) { if ($p -notin $known) { throw "-Part takes $($known -join ', ') (got $p)" } }
if ((& id -u) -ne '0') { throw 'The stress target needs root (cgroups, overlay mounts, runc).' }
foreach ($tool in 'runc', 'conmon', 'tar') {
    if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { throw "stress needs $tool (build.ps1 Bootstrap installs it)" }
}
if ($Seed -lt 0) { $Seed = Get-Random -Maximum 1000000 }
$Rng = [Random]::new($Seed)
$ModulePath = (Resolve-Path $ModulePath).Path
$started = Get-Date

# --- private roots ----------------------------------------------------------------------------------------------
$tag = [Guid]::NewGuid().ToString('N').Substring(0, 8)
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "podshell-stress-$tag" }
New-Item -ItemType Directory -Force $WorkDir | Out-Null
$WorkDir = (Resolve-Path $WorkDir).Path
$Graph = Join-Path $WorkDir 'graph'
$Run = Join-Path $WorkDir 'run'
$env:PODSHELL_GRAPHROOT = $Graph
$env:PODSHELL_RUNROOT = $Run
$env:PODSHELL_CGROUP_PARENT = "podshell-stress-$tag"
$env:PODSHELL_BRIDGE = "pss$($tag.Substring(0, 6))"
$env:PODSHELL_DEFAULT_SUBNET = "10.$(200 + [Convert]::ToInt32($tag.Substring(0, 2), 16) % 50).$([Convert]::ToInt32($tag.Substring(2, 2), 16)).0/24"
$CgroupParent = $env:PODSHELL_CGROUP_PARENT
$ChildScript = Join-Path $PSScriptRoot 'Child.ps1'
$ChildLog = Join-Path $WorkDir 'workers.log'
$PwshDll = Join-Path $PSHOME 'pwsh.dll'
Write-Host "stress: work dir $WorkDir, seed $Seed, parts $($Part -join ','), iterations x$Iterations, duration x$Duration"

Import-Module $ModulePath
Add-Type -Path (Join-Path $ModulePath 'Microsoft.Data.Sqlite.dll')

. (Join-Path $PSScriptRoot 'Workers.ps1')
. (Join-Path $PSScriptRoot 'Leaks.ps1')
. (Join-Path $PSScriptRoot 'Parts.ps1')

$StressResults = [Collections.Generic.List[object]]::new()
function Add-Result([string] $Name, [int] $Operations, [int] $Kills, [int] $Leaks, [int] $Lost, [int] $Bad, [string] $Note) {
    $r = [pscustomobject]@{ Part = $Name; Operations = $Operations; Kills = $Kills; Leaks = $Leaks; Lost = $Lost; Bad = $Bad; Note = $Note }
    $StressResults.Add($r)
    Write-Host ("stress: {0}: {1} operations, {2} kills, {3} leaks, {4} lost, {5} bad {6}" -f $Name, $Operations, $Kills, $Leaks, $Lost, $Bad, $Note)
}

$exitCode = 0
try {
    # --- images: a busybox rootfs, as the tests make it ---------------------------------------------------------
    $Rootfs = Join-Path $WorkDir 'rootfs'
    & (Join-Path $PSScriptRoot '../build/New-BusyboxRootfs.ps1') -Path $Rootfs
    $BusyboxTar = Join-Path $WorkDir 'busybox.tar'
    & tar -C $Rootfs -cf $BusyboxTar .
    if ($LASTEXITCODE -ne 0) { throw "tar of $Rootfs failed" }
    Import-ContainerImage -Path $BusyboxTar -Name 'busybox' | Out-Null

    foreach ($p in $Part) {
        $partStart = Get-Date
        try {
            switch ($p) {
                'selftest' { Invoke-SelfTest }
                'kill' { Invoke-KillMatrix }
                'parallel' { Invoke-ParallelLifecycle }
                'copy' { Invoke-CopyRace }
                'rmi' { Invoke-RemoveImageRace }
                'import' { Invoke-ImportKill }
                'autoremove' { Invoke-AutoRemoveKill }
            }
        }
        catch {
            # A part that breaks is reported as such and the others still run.
            Write-Host "stress: part $p failed: $($_.Exception.Message) $($_.InvocationInfo.PositionMessage)"
            Add-Result $p 0 0 0 0 1 "part failed: $($_.Exception.Message)"
        }
        Write-Host ("stress: part {0} took {1:n0} s" -f $p, ((Get-Date) - $partStart).TotalSeconds)
    }
}
catch { Add-Result 'setup' 0 0 0 0 1 "setup failed: $($_.Exception.Message)" }
finally {
    Stop-AllWorkers
    $final = @(Clear-StressState)
}

# Leaks found only by the final cleanup (the rest of its list is the removal of leaks already counted).
$finalNew = @($final | Where-Object { $_ -like 'after cleanup:*' -or $_ -like '*could not be removed*' }).Count
# --- the table --------------------------------------------------------------------------------------------------
$total = [pscustomobject]@{
    Part = 'total'; Operations = ($StressResults | Measure-Object Operations -Sum).Sum; Kills = ($StressResults | Measure-Object Kills -Sum).Sum
    Leaks = ($StressResults | Measure-Object Leaks -Sum).Sum + $finalNew; Lost = ($StressResults | Measure-Object Lost -Sum).Sum
    Bad = ($StressResults | Measure-Object Bad -Sum).Sum; Note = "final cleanup: $finalNew new leaks"
}
Write-Host ''
Write-Host ("Stress run {0:u}, seed {1}, {2:n0} s, load {3}" -f $started.ToUniversalTime(), $Seed, ((Get-Date) - $started).TotalSeconds, ((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '))
Write-Host ''
Write-Host '| part | operations | kills | leaks found | records lost | bad outcomes | notes |'
Write-Host '|---|---:|---:|---:|---:|---:|---|'
foreach ($r in @($StressResults) + $total) {
    Write-Host ("| {0} | {1} | {2} | {3} | {4} | {5} | {6} |" -f $r.Part, $r.Operations, $r.Kills, $r.Leaks, $r.Lost, $r.Bad, $r.Note)
}
if ($final.Count) {
    Write-Host ''
    Write-Host 'Left behind after the final cleanup (removed now where possible):'
    $final | ForEach-Object { Write-Host "  - $_" }
}
if ($total.Leaks -gt 0 -or $total.Lost -gt 0 -or $total.Bad -gt 0) { $exitCode = 1 }
exit $exitCode
