#!/usr/bin/env pwsh
<#
.SYNOPSIS
Issue 9's benchmark: PodShell (in-process), podman (runc) and raw runc side by side, interleaved; writes bench/results.md.

.DESCRIPTION
Run by `build.ps1 Bench`, never in CI. Everything lives under a private directory in /tmp: PodShell's graph and run
roots (PODSHELL_* variables, set before the module is imported), podman's --root/--runroot and runc's --root, so no
real store is touched. PodShell is timed with a Stopwatch inside this session (that is how scripts use it); whole
processes (podman, runc) are timed with hyperfine. Scenarios are run in rounds that alternate the tools, and medians
are taken over all rounds.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $OutFile = (Join-Path $PSScriptRoot 'results.md'),
    # Rounds per scenario; each round runs every tool $Batch times.
    [int] $Rounds = 5,
    [int] $Batch = 10,
    # Scenario 4: containers in each store.
    [int] $ListSize = 1000,
    # Scenario 7: detached containers held running at once.
    [int] $MemoryContainers = 5,
    [string] $WorkDir
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$started = Get-Date
$loadAtStart = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '
$commandLine = "dotnet pwsh -NoProfile -File bench/run.ps1 -ModulePath $ModulePath -Rounds $Rounds -Batch $Batch -ListSize $ListSize -MemoryContainers $MemoryContainers"

foreach ($tool in 'podman', 'runc', 'hyperfine', 'conmon') {
    if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { throw "bench needs $tool (apt-get install $tool)" }
}
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) ("podshell-bench-" + [Guid]::NewGuid().ToString('N').Substring(0, 8)) }
New-Item -ItemType Directory -Force $WorkDir | Out-Null
$WorkDir = (Resolve-Path $WorkDir).Path

# --- private stores ---------------------------------------------------------------------------------------------
$env:PODSHELL_GRAPHROOT = Join-Path $WorkDir 'podshell/graph'
$env:PODSHELL_RUNROOT = Join-Path $WorkDir 'podshell/run'
$env:PODSHELL_CGROUP_PARENT = Split-Path $WorkDir -Leaf
$podmanRoot = Join-Path $WorkDir 'podman/root'
$podmanRunRoot = Join-Path $WorkDir 'podman/runroot'
# The same limits for both: podman run fails here without them (no CAP_SYS_RESOURCE to raise nofile/nproc).
$Ulimits = @('nofile=1024:1024', 'nproc=1024:1024')
$PodmanGlobal = @('--root', $podmanRoot, '--runroot', $podmanRunRoot, '--runtime', 'runc', '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none', '--storage-driver', 'overlay', '--tmpdir', (Join-Path $WorkDir 'podman/tmp'))
$PodmanRunFlags = @('--network', 'none', '--ulimit', $Ulimits[0], '--ulimit', $Ulimits[1])
$podmanCmd = 'podman ' + ($PodmanGlobal -join ' ')
$runcRoot = Join-Path $WorkDir 'runc'

function Invoke-Podman { & podman @PodmanGlobal @args; if ($LASTEXITCODE -ne 0) { throw "podman $args failed ($LASTEXITCODE)" } }

# --- images: one busybox rootfs for all three ------------------------------------------------------------------
$rootfs = Join-Path $WorkDir 'rootfs'
foreach ($d in 'bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'root') { New-Item -ItemType Directory -Force (Join-Path $rootfs $d) | Out-Null }
Copy-Item /usr/bin/busybox (Join-Path $rootfs 'bin/busybox')
foreach ($a in 'sh', 'sleep', 'true', 'echo', 'cat') { & ln -sf busybox (Join-Path $rootfs "bin/$a") }
$tar = Join-Path $WorkDir 'busybox.tar'
& tar -C $rootfs -cf $tar .
Write-Host "bench: work dir $WorkDir"

$importWatch = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath -Force
$importWatch.Stop()
Import-ContainerImage -Path $rootfs -Name busybox | Out-Null
Invoke-Podman import -q $tar busybox | Out-Null

# raw runc bundle: the default spec (new network namespace, nothing in it), `true`, no terminal.
$bundle = Join-Path $WorkDir 'bundle'
New-Item -ItemType Directory -Force $bundle | Out-Null
& cp -a $rootfs (Join-Path $bundle 'rootfs')
Push-Location $bundle; & runc spec; Pop-Location
$spec = Get-Content (Join-Path $bundle 'config.json') -Raw | ConvertFrom-Json
$spec.process.args = @('true'); $spec.process.terminal = $false
$spec | ConvertTo-Json -Depth 20 | Set-Content (Join-Path $bundle 'config.json')

# --- helpers ----------------------------------------------------------------------------------------------------
function Get-Median([double[]] $v) {
    $s = @($v | Sort-Object); if ($s.Count -eq 0) { return [double]::NaN }
    if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
# hyperfine: N runs of one shell command; returns the per-run times in ms.
function Measure-Hyperfine([string] $Command, [int] $Runs, [string] $Prepare) {
    $json = Join-Path $WorkDir 'hf.json'
    $hfArgs = @('--runs', $Runs, '--warmup', 1, '--style', 'none', '--export-json', $json)
    if ($Prepare) { $hfArgs += @('--prepare', $Prepare) }
    & hyperfine @hfArgs $Command 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "hyperfine failed: $Command" }
    @((Get-Content $json -Raw | ConvertFrom-Json).results[0].times | ForEach-Object { $_ * 1000 })
}
function Measure-InProcess([scriptblock] $Body, [int] $Runs) {
    & $Body   # warmup, like hyperfine's
    for ($i = 0; $i -lt $Runs; $i++) {
        $sw = [Diagnostics.Stopwatch]::StartNew(); & $Body; $sw.Stop(); $sw.Elapsed.TotalMilliseconds
    }
}
$rows = [Collections.Generic.List[object]]::new()
function Add-Row($Scenario, $Tool, [double[]] $Times, $Note = '') {
    $rows.Add([pscustomobject]@{ Scenario = $Scenario; Tool = $Tool; N = $Times.Count; Median = (Get-Median $Times); Note = $Note })
    Write-Host ("bench: {0,-34} {1,-44} n={2,4} median {3,9:0.0} ms" -f $Scenario, $Tool, $Times.Count, (Get-Median $Times))
}
function Get-Rss([int] $ProcessId) {
    $line = Get-Content "/proc/$ProcessId/status" -ErrorAction Ignore | Where-Object { $_ -like 'VmRSS:*' }
    if ($line) { [double](($line -split '\s+')[1]) } else { 0 }
}
function Get-ConmonPids([string] $Mention) {
    foreach ($d in Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$') {
        try {
            $cmd = [IO.File]::ReadAllText("/proc/$($d.Name)/cmdline")
            if ($cmd.StartsWith('/usr/bin/conmon') -or $cmd.StartsWith("conmon`0")) { if ($cmd.Contains($Mention)) { [int]$d.Name } }
        } catch { }
    }
}

# --- 1: run-to-exit of true, network none -----------------------------------------------------------------------
$s1 = @{ PodShell = @(); Podman = @(); Runc = @() }
$podmanRun = "$podmanCmd run --rm $($PodmanRunFlags -join ' ') busybox true"
$runcRun = "runc --root $runcRoot run --bundle $bundle bench-runc-`$`$"
# The engine's own counters (issue 9's phase trace), over PodShell's runs of scenario 1 only.
$counters = [PodShell.Engine.Diagnostics.EngineCounters]::Global
$phaseTotals = @{}
$phaseRuns = 0
for ($r = 0; $r -lt $Rounds; $r++) {
    $counters.Reset()
    $s1.PodShell += Measure-InProcess { Invoke-Container busybox -AutoRemove -Network none -Ulimit $Ulimits -- true | Out-Null } $Batch
    $phaseRuns += $Batch + 1
    foreach ($p in [Enum]::GetValues([PodShell.Engine.Diagnostics.EnginePhase])) {
        $t = $phaseTotals["$p"]; if (-not $t) { $t = $phaseTotals["$p"] = @{ Count = 0L; Ms = 0.0 } }
        $t.Count += $counters.Count($p); $t.Ms += $counters.Elapsed($p).TotalMilliseconds
    }
    $s1.Podman += Measure-Hyperfine $podmanRun $Batch
    $s1.Runc += Measure-Hyperfine $runcRun $Batch
}
Add-Row '1 run-to-exit true (network none)' 'PodShell Invoke-Container -AutoRemove' $s1.PodShell
Add-Row '1 run-to-exit true (network none)' 'podman run --rm --network none' $s1.Podman
Add-Row '1 run-to-exit true (network none)' 'runc run (prepared bundle)' $s1.Runc

# --- 3: detached sleep, stop, remove ----------------------------------------------------------------------------
$s3 = @{ PodShell = @(); Podman = @() }
$podman3 = "sh -c 'id=`$($podmanCmd run -d $($PodmanRunFlags -join ' ') busybox sleep 600) && $podmanCmd stop -t 0 `$id >/dev/null && $podmanCmd rm `$id >/dev/null'"
for ($r = 0; $r -lt $Rounds; $r++) {
    $s3.PodShell += Measure-InProcess {
        $c = Invoke-Container busybox -Detach -Network none -Ulimit $Ulimits -- sleep 600
        Stop-Container -Id $c.Id -Timeout 0
        Remove-Container -Id $c.Id -Confirm:$false
    } $Batch
    $s3.Podman += Measure-Hyperfine $podman3 $Batch
}
Add-Row '3 detached sleep, stop, remove' 'PodShell Invoke -Detach; Stop -Timeout 0; Remove' $s3.PodShell
Add-Row '3 detached sleep, stop, remove' 'podman run -d; stop -t 0; rm' $s3.Podman

# --- 4: listing a store of $ListSize created containers ---------------------------------------------------------
Write-Host "bench: creating $ListSize containers in each store"
$fill = [Diagnostics.Stopwatch]::StartNew()
for ($i = 0; $i -lt $ListSize; $i++) { New-Container busybox -Name "bench-list-$i" -Network none -- true | Out-Null }
$fillPodShell = $fill.Elapsed.TotalSeconds; $fill.Restart()
for ($i = 0; $i -lt $ListSize; $i++) { Invoke-Podman create -q --name "bench-list-$i" @PodmanRunFlags busybox true | Out-Null }
$fillPodman = $fill.Elapsed.TotalSeconds
$countPodShell = @(Get-Container).Count
$countPodman = @(& podman @PodmanGlobal ps -a --format json | ConvertFrom-Json).Count
if ($countPodShell -ne $ListSize -or $countPodman -ne $ListSize) { throw "store sizes differ: PodShell $countPodShell, podman $countPodman, wanted $ListSize" }
$s4 = @{ PodShell = @(); Podman = @(); PodmanRaw = @() }
for ($r = 0; $r -lt $Rounds; $r++) {
    $s4.PodShell += Measure-InProcess { $null = @(Get-Container) } $Batch
    $s4.Podman += Measure-InProcess { $null = @(& podman @PodmanGlobal ps -a --format json | ConvertFrom-Json) } $Batch
    $s4.PodmanRaw += Measure-Hyperfine "$podmanCmd ps -a --format json" $Batch
}
Add-Row "4 list $ListSize created" 'PodShell Get-Container' $s4.PodShell
Add-Row "4 list $ListSize created" 'podman ps -a --format json | ConvertFrom-Json' $s4.Podman
Add-Row "4 list $ListSize created" 'podman ps -a --format json (hyperfine)' $s4.PodmanRaw
Get-Container | Remove-Container -Force -Confirm:$false
Invoke-Podman rm -a -f | Out-Null

# --- 7: memory per running detached container -------------------------------------------------------------------
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
$pwshBefore = Get-Rss $PID
$ours = @(1..$MemoryContainers | ForEach-Object { Invoke-Container busybox -Detach -Network none -Ulimit $Ulimits -- sleep 600 })
$podmans = @(1..$MemoryContainers | ForEach-Object { & podman @PodmanGlobal run -d @PodmanRunFlags busybox sleep 600 })
Start-Sleep -Seconds 1
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
$pwshGrowth = [Math]::Max(0, ((Get-Rss $PID) - $pwshBefore) / $MemoryContainers)
$ourConmonArgs = (Get-ConmonPids $env:PODSHELL_RUNROOT | Select-Object -First 1 | ForEach-Object { [IO.File]::ReadAllText("/proc/$_/cmdline").Replace("`0", ' ') })
$podmanConmonArgs = (Get-ConmonPids $podmanRunRoot | Select-Object -First 1 | ForEach-Object { [IO.File]::ReadAllText("/proc/$_/cmdline").Replace("`0", ' ') })
$ourConmon = @(Get-ConmonPids $env:PODSHELL_RUNROOT | ForEach-Object { Get-Rss $_ })
$podmanConmon = @(Get-ConmonPids $podmanRunRoot | ForEach-Object { Get-Rss $_ })
$ours | Stop-Container -Timeout 0 -ErrorAction Continue | Out-Null
$ours | Remove-Container -Force -Confirm:$false
Invoke-Podman rm -a -f -t 0 | Out-Null
$memNote = "conmon processes found: PodShell $($ourConmon.Count), podman $($podmanConmon.Count)"
$rows.Add([pscustomobject]@{ Scenario = '7 memory per detached container'; Tool = 'PodShell: conmon RSS (KiB)'; N = $ourConmon.Count; Median = (Get-Median $ourConmon); Note = "plus pwsh RSS growth per container: $([Math]::Round($pwshGrowth)) KiB (no daemon)" })
$rows.Add([pscustomobject]@{ Scenario = '7 memory per detached container'; Tool = 'podman: conmon RSS (KiB)'; N = $podmanConmon.Count; Median = (Get-Median $podmanConmon); Note = 'no daemon; podman CLI exits' })
Write-Host "bench: 7 memory: $memNote; PodShell conmon median $(Get-Median $ourConmon) KiB, podman $(Get-Median $podmanConmon) KiB, pwsh growth $pwshGrowth KiB/container"

# --- 8: cold start -----------------------------------------------------------------------------------------------
$pwshExe = (Get-Process -Id $PID).Path
$pwshArgs = if ((Split-Path $pwshExe -Leaf) -eq 'dotnet') { "$pwshExe pwsh" } else { $pwshExe }
$env:PODSHELL_BENCH_MODULE = $ModulePath
$importMs = @(1..$Batch | ForEach-Object {
    [double](& $pwshExe @(if ($pwshArgs -ne $pwshExe) { 'pwsh' }) -NoProfile -NonInteractive -Command '(Measure-Command { Import-Module $env:PODSHELL_BENCH_MODULE }).TotalMilliseconds')
})
Add-Row '8 cold start' 'Import-Module PodShell (inside a fresh pwsh)' $importMs
$cold = @{ Bare = @(); PodShell = @(); Podman = @() }
$ulimitText = "-Ulimit $($Ulimits -join ',')"
# One round: each cold run starts PowerShell (seconds when launched through `dotnet pwsh`).
for ($r = 0; $r -lt 1; $r++) {
    $cold.Bare += Measure-Hyperfine "$pwshArgs -NoProfile -NonInteractive -Command 1" $Batch
    $cold.PodShell += Measure-Hyperfine "$pwshArgs -NoProfile -NonInteractive -Command 'Import-Module $ModulePath; Invoke-Container busybox -AutoRemove -Network none $ulimitText -- true'" $Batch
    $cold.Podman += Measure-Hyperfine $podmanRun $Batch
}
Add-Row '8 cold start' "pwsh -c 1 (the shell alone, via $(Split-Path $pwshExe -Leaf))" $cold.Bare
Add-Row '8 cold start' 'pwsh -c Import-Module; Invoke-Container -AutoRemove true' $cold.PodShell
Add-Row '8 cold start' 'podman run --rm --network none busybox true' $cold.Podman

# --- cleanup ------------------------------------------------------------------------------------------------------
Get-Container | Remove-Container -Force -Confirm:$false
Invoke-Podman rm -a -f | Out-Null
Invoke-Podman rmi -a -f 2>$null | Out-Null
& podman @PodmanGlobal system reset -f 2>$null | Out-Null
# The engine leaves its (empty) cgroup parent in each hierarchy; rmdir only ever removes empty cgroups.
foreach ($h in Get-ChildItem /sys/fs/cgroup -Directory -ErrorAction Ignore) {
    $parent = Join-Path $h.FullName $env:PODSHELL_CGROUP_PARENT
    if (Test-Path $parent) { Get-ChildItem $parent -Directory -Recurse | Sort-Object { $_.FullName.Length } -Descending | ForEach-Object { & rmdir $_.FullName }; & rmdir $parent }
}
foreach ($m in @(Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_.StartsWith($WorkDir) } | Sort-Object Length -Descending)) { & umount -l $m }

# --- results.md ---------------------------------------------------------------------------------------------------
function Med($s, $t) { ($rows | Where-Object { $_.Scenario -like "$s*" -and $_.Tool -like "$t*" } | Select-Object -First 1).Median }
function Ratio([double] $a, [double] $b) { if ($b -gt 0) { $a / $b } else { [double]::NaN } }
$r1p = Ratio (Med 1 podman) (Med 1 PodShell); $r1r = Ratio (Med 1 PodShell) (Med 1 runc)
$r3 = Ratio (Med 3 podman) (Med 3 PodShell)
$r4 = Ratio (Med 4 'podman ps -a --format json |') (Med 4 PodShell)
$m7p = Med 7 'PodShell'; $m7o = Med 7 'podman'
$ok = { param($b) if ($b) { 'met' } else { '**not met**' } }
$mem = [Math]::Round((Get-Content /proc/meminfo | Select-Object -First 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB, 1)
$cpu = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
$md = [Text.StringBuilder]::new()
$null = $md.AppendLine('# PodShell benchmark results (issue 9)').AppendLine()
$null = $md.AppendLine("Produced by ``$commandLine`` (what ``build.ps1 Bench`` runs), $($started.ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, in $([Math]::Round(((Get-Date) - $started).TotalMinutes, 1)) min.").AppendLine()
$null = $md.AppendLine("Machine: $(& nproc) CPUs ($cpu), $mem GiB RAM, kernel $(& uname -r), $((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|`"', ''),")
$null = $md.AppendLine("$(& runc --version | Select-Object -First 1), conmon $((& conmon --version | Select-Object -First 1) -replace 'conmon version ', ''), $(& podman --version), $(& hyperfine --version), PowerShell $($PSVersionTable.PSVersion), .NET $([Environment]::Version).")
$null = $md.AppendLine("Load average (1/5/15 min) at start: $loadAtStart, at end: $((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ') (on $(& nproc) CPUs; anything above that means other work shared the machine and the medians are noisier).")
$null = $md.AppendLine("Limits for both engines: ``--ulimit $($Ulimits -join ' --ulimit ')`` (podman run fails on this host without them: no CAP_SYS_RESOURCE). podman: runc, cgroupfs, overlay, events backend none, private --root/--runroot.").AppendLine()
$null = $md.AppendLine('PodShell is timed with a Stopwatch inside one pwsh session (how scripts use it); podman and runc with hyperfine (one warmup per batch). Each scenario runs in rounds that alternate the tools; the median is over all runs of all rounds.').AppendLine()
$null = $md.AppendLine('| Scenario | Tool | Runs | Median | Note |').AppendLine('|---|---|---:|---:|---|')
foreach ($row in $rows) {
    $unit = if ($row.Tool -like '*KiB*') { ' KiB' } else { ' ms' }
    $null = $md.AppendLine("| $($row.Scenario) | $($row.Tool.Replace('|', '\|')) | $($row.N) | $('{0:0.0}' -f $row.Median)$unit | $($row.Note) |")
}
$null = $md.AppendLine().AppendLine('## Targets').AppendLine()
$null = $md.AppendLine('| # | Target | Measured | Verdict |').AppendLine('|---|---|---|---|')
$null = $md.AppendLine("| 1 | >= 3x faster than podman run --rm --network none | $('{0:0.00}' -f $r1p)x | $(& $ok ($r1p -ge 3)) |")
$null = $md.AppendLine("| 1 | <= 1.5x raw runc run | $('{0:0.00}' -f $r1r)x | $(& $ok ($r1r -le 1.5)) |")
$null = $md.AppendLine("| 2 | bridge network >= 3x faster than podman | - | not in the harness yet (the bridge network landed after it was written) |")
$null = $md.AppendLine("| 3 | detached sleep, stop, remove >= 3x faster than podman | $('{0:0.00}' -f $r3)x | $(& $ok ($r3 -ge 3)) |")
$null = $md.AppendLine("| 4 | Get-Container ($ListSize created) < 100 ms | $('{0:0.0}' -f (Med 4 PodShell)) ms | $(& $ok ((Med 4 PodShell) -lt 100)) |")
$null = $md.AppendLine("| 4 | >= 5x faster than podman ps -a --format json \| ConvertFrom-Json | $('{0:0.00}' -f $r4)x | $(& $ok ($r4 -ge 5)) |")
$null = $md.AppendLine("| 5 | import of a 200 MB archive | - | not run by this harness yet |")
$null = $md.AppendLine("| 6 | 20 concurrent starts from 4 pwsh processes | - | not run by this harness yet |")
$null = $md.AppendLine("| 7 | memory per detached container <= podman's | conmon $m7p KiB (+ pwsh growth $([Math]::Round($pwshGrowth)) KiB) vs conmon $m7o KiB | $(& $ok (($m7p + [Math]::Max(0, $pwshGrowth)) -le $m7o)) |")
$null = $md.AppendLine("| 8 | Import-Module < 300 ms | $('{0:0.0}' -f (Med 8 'Import-Module')) ms (in-process, fresh pwsh; this session's first import: $('{0:0.0}' -f $importWatch.Elapsed.TotalMilliseconds) ms) | $(& $ok ((Med 8 'Import-Module') -lt 300)) |")
$null = $md.AppendLine("| 8 | cold pwsh + Import + run vs podman run | $('{0:0.0}' -f (Med 8 'pwsh -c Import')) ms vs $('{0:0.0}' -f (Med 8 'podman run')) ms (pwsh alone: $('{0:0.0}' -f (Med 8 'pwsh -c 1')) ms) | reported |")
$null = $md.AppendLine().AppendLine("Store fill for scenario 4 (not a target): $ListSize New-Container in $([Math]::Round($fillPodShell, 1)) s, $ListSize podman create in $([Math]::Round($fillPodman, 1)) s.")
$null = $md.AppendLine("Scenario 7: $memNote.")
$null = $md.AppendLine("Scenario 7, one conmon of each (RSS is VmRSS from /proc; pwsh growth is this session's RSS after minus before, per container, after a GC; a negative growth is noise and shown as 0):").AppendLine()
$null = $md.AppendLine('```').AppendLine("PodShell: $ourConmonArgs").AppendLine("podman:   $podmanConmonArgs").AppendLine('```')
$null = $md.AppendLine().AppendLine('## Where the time goes (scenario 1, PodShell, from the engine''s EngineCounters)').AppendLine()
$null = $md.AppendLine("Per run-to-exit, averaged over $phaseRuns runs (warmups included). Runtime = runc processes the engine itself runs (conmon runs ``runc create`` itself, so that one is not counted); Monitor = spawning conmon only (not the wait on its sync pipe, where runc create runs); Database = connections opened (each is open + pragmas + the statements on it).").AppendLine()
$null = $md.AppendLine('| Phase | Count per run | ms per run |').AppendLine('|---|---:|---:|')
foreach ($p in $phaseTotals.Keys | Sort-Object) {
    $null = $md.AppendLine("| $p | $('{0:0.0}' -f ($phaseTotals[$p].Count / $phaseRuns)) | $('{0:0.0}' -f ($phaseTotals[$p].Ms / $phaseRuns)) |")
}
# The analysis of why targets are missed is kept by hand next to the harness and copied in, so a rerun keeps it.
$notes = Join-Path $PSScriptRoot 'notes.md'
if (Test-Path $notes) { $null = $md.AppendLine().Append((Get-Content $notes -Raw)) }
[IO.File]::WriteAllText($OutFile, $md.ToString())
Write-Host "bench: wrote $OutFile"
Remove-Item -Recurse -Force $WorkDir -ErrorAction Continue
