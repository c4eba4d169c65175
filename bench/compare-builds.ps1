#!/usr/bin/env pwsh
<#
.SYNOPSIS
Start path of two builds of the module side by side: create + start + wait + remove of `true` (network none),
interleaved, medians; writes a markdown table.

.DESCRIPTION
Made for issue 20 item 5 (Tmds.LibC instead of our own P/Invoke: is the start path slower?), usable for any two builds.
Two builds of PodShell cannot live in one process (same assembly names), so each round starts one fresh
`dotnet pwsh` per build, alternating which goes first, and each of those times:
- cold: the first cycle in the fresh process (what a script pays once: JIT of what ReadyToRun lacks, first P/Invoke
  binding, the stores opened for the first time);
- warm: -Batch more cycles after it (what every further start costs).
Each build has its own private graph and run root under -WorkDir (PODSHELL_* variables), with the same busybox
rootfs imported, so neither sees the other's containers; the host's real store is not touched.
Needs root, runc and conmon, as the engine does.
#>
param(
    [Parameter(Mandatory)] [string] $Before,
    [Parameter(Mandatory)] [string] $After,
    [string] $BeforeLabel = 'before',
    [string] $AfterLabel = 'after',
    [int] $Rounds = 30,
    [int] $Batch = 5,
    [string] $OutFile,
    [string] $Title = 'Start path, two builds side by side',
    [string] $WorkDir
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) ("podshell-compare-" + [Guid]::NewGuid().ToString('N').Substring(0, 8)) }
New-Item -ItemType Directory -Force $WorkDir | Out-Null
$WorkDir = (Resolve-Path $WorkDir).Path
$started = Get-Date
$loadAtStart = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '

$rootfs = Join-Path $WorkDir 'rootfs'
foreach ($d in 'bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'root') { New-Item -ItemType Directory -Force (Join-Path $rootfs $d) | Out-Null }
Copy-Item /usr/bin/busybox (Join-Path $rootfs 'bin/busybox')
foreach ($a in 'sh', 'true') { & ln -sf busybox (Join-Path $rootfs "bin/$a") }

# One process of one build: import the image on the first round, then time a cold cycle and $Batch warm ones.
# Prints one JSON line: {"Cold": ms, "Warm": [ms, ...]}.
$worker = Join-Path $WorkDir 'worker.ps1'
Set-Content $worker @'
param([string] $ModulePath, [string] $Store, [string] $Rootfs, [int] $Batch, [switch] $Setup)
$ErrorActionPreference = 'Stop'
$env:PODSHELL_GRAPHROOT = Join-Path $Store 'graph'
$env:PODSHELL_RUNROOT = Join-Path $Store 'run'
$env:PODSHELL_CGROUP_PARENT = (Split-Path (Split-Path $Store) -Leaf) + '-' + (Split-Path $Store -Leaf)
Import-Module $ModulePath
if ($Setup) { Import-ContainerImage -Path $Rootfs -Name busybox | Out-Null }
$limits = @('nofile=1024:1024', 'nproc=1024:1024')
function Cycle {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $c = New-Container busybox -Network none -Ulimit $limits -- true
    Start-Container $c
    Wait-Container $c | Out-Null
    Remove-Container $c -Force -Confirm:$false
    $sw.Elapsed.TotalMilliseconds
}
$cold = Cycle
$warm = @(for ($i = 0; $i -lt $Batch; $i++) { Cycle })
[pscustomobject]@{ Cold = $cold; Warm = $warm } | ConvertTo-Json -Compress
'@

$builds = @(
    [pscustomobject]@{ Label = $BeforeLabel; Module = (Resolve-Path $Before).Path; Store = (Join-Path $WorkDir 'before'); Cold = [Collections.Generic.List[double]]::new(); Warm = [Collections.Generic.List[double]]::new() }
    [pscustomobject]@{ Label = $AfterLabel; Module = (Resolve-Path $After).Path; Store = (Join-Path $WorkDir 'after'); Cold = [Collections.Generic.List[double]]::new(); Warm = [Collections.Generic.List[double]]::new() }
)
# Round 0 is untimed: it imports the image into each store and warms the page cache for both builds' files.
for ($r = 0; $r -le $Rounds; $r++) {
    $order = if ($r % 2) { @($builds[1], $builds[0]) } else { @($builds[0], $builds[1]) }
    foreach ($b in $order) {
        $out = & dotnet pwsh -NoProfile -NonInteractive -File $worker -ModulePath $b.Module -Store $b.Store -Rootfs $rootfs -Batch $Batch -Setup:($r -eq 0)
        if ($LASTEXITCODE -ne 0) { throw "worker for $($b.Label) failed: $out" }
        $res = ($out | Select-Object -Last 1) | ConvertFrom-Json
        if ($r -eq 0) { continue }
        $b.Cold.Add([double]$res.Cold)
        foreach ($w in $res.Warm) { $b.Warm.Add([double]$w) }
    }
    if ($r) { Write-Host ("compare: round {0}/{1} done" -f $r, $Rounds) }
}

function Get-Median([double[]] $v) {
    $s = @($v | Sort-Object); if ($s.Count -eq 0) { return [double]::NaN }
    if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
function Get-Quartile([double[]] $v, [double] $q) { $s = @($v | Sort-Object); $s[[int][Math]::Floor(($s.Count - 1) * $q)] }

$lines = [Collections.Generic.List[string]]::new()
$lines.Add("## $Title")
$lines.Add('')
$lines.Add(("Run {0:yyyy-MM-dd HH:mm} UTC, load at start {1}, {2} rounds (each a fresh ``dotnet pwsh`` per build, order alternating), " -f $started.ToUniversalTime(), $loadAtStart, $Rounds) +
    "cycle = New-Container busybox -Network none + Start-Container + Wait-Container + Remove-Container of ``true``, timed with a Stopwatch in the session. " +
    "Cold: the first cycle of each process. Warm: the $Batch cycles after it. Script: ``bench/compare-builds.ps1``.")
$lines.Add('')
$lines.Add('| build | cold n | cold median ms | cold p25-p75 | warm n | warm median ms | warm p25-p75 |')
$lines.Add('|---|---:|---:|---:|---:|---:|---:|')
foreach ($b in $builds) {
    $lines.Add(('| {0} | {1} | {2:0.0} | {3:0.0}-{4:0.0} | {5} | {6:0.0} | {7:0.0}-{8:0.0} |' -f $b.Label, $b.Cold.Count, (Get-Median $b.Cold),
        (Get-Quartile $b.Cold 0.25), (Get-Quartile $b.Cold 0.75), $b.Warm.Count, (Get-Median $b.Warm), (Get-Quartile $b.Warm 0.25), (Get-Quartile $b.Warm 0.75)))
}
$cold = (Get-Median $builds[1].Cold) / (Get-Median $builds[0].Cold)
$warm = (Get-Median $builds[1].Warm) / (Get-Median $builds[0].Warm)
$lines.Add('')
$lines.Add(('{0} / {1}: cold {2:0.000}x, warm {3:0.000}x (median over median).' -f $AfterLabel, $BeforeLabel, $cold, $warm))
$text = $lines -join "`n"
Write-Host $text
if ($OutFile) { Set-Content -Path $OutFile -Value $text }
# The engine leaves its (empty) cgroup parents in each hierarchy; rmdir only ever removes empty cgroups.
foreach ($h in Get-ChildItem /sys/fs/cgroup -Directory -ErrorAction Ignore) {
    foreach ($b in $builds) {
        $parent = Join-Path $h.FullName ((Split-Path $WorkDir -Leaf) + '-' + (Split-Path $b.Store -Leaf))
        if (Test-Path $parent) { Get-ChildItem $parent -Directory -Recurse | Sort-Object { $_.FullName.Length } -Descending | ForEach-Object { & rmdir $_.FullName }; & rmdir $parent }
    }
}
Remove-Item -Recurse -Force $WorkDir -ErrorAction Ignore
