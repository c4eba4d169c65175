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
    # Scenario 5: size of the image archive in MB (random, incompressible content).
    [int] $ArchiveMB = 200,
    # Which scenarios to run (1-8), e.g. -Scenario 2,5,6 (a comma list is one string under pwsh -File); the rest
    # are left out of results.md.
    [string[]] $Scenario = @('1', '2', '3', '4', '5', '6', '7', '8'),
    [string] $WorkDir
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Scenario = @($Scenario -split ',' | Where-Object { $_.Trim() } | ForEach-Object { [int]$_.Trim() } | Sort-Object -Unique)
if (@($Scenario | Where-Object { $_ -lt 1 -or $_ -gt 8 }).Count) { throw "-Scenario takes numbers 1 to 8 (got $($Scenario -join ','))" }
$started = Get-Date
$loadAtStart = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '
$commandLine = "dotnet pwsh -NoProfile -File bench/run.ps1 -ModulePath $ModulePath -Rounds $Rounds -Batch $Batch -ListSize $ListSize -MemoryContainers $MemoryContainers -ArchiveMB $ArchiveMB -Scenario $($Scenario -join ',')"

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
# Scenario 2: each engine gets its own bridge and /24 (as tests/pester/run.ps1 does), away from the real podshell0 /
# podman0 (10.88.0.0/16) and from each other; a subnet already routed on this host is skipped.
$benchTag = [Guid]::NewGuid().ToString('N').Substring(0, 6)
$routes = (& ip -4 route) -join "`n"
$third = [Convert]::ToInt32($benchTag.Substring(0, 2), 16)
while ($routes -match "10\.19[89]\.$third\.") { $third = ($third + 1) % 256 }
$env:PODSHELL_BRIDGE = "psb$benchTag"
$env:PODSHELL_DEFAULT_SUBNET = "10.198.$third.0/24"
$podmanBridge = $null
$podmanSubnet = "10.199.$third.0/24"
$podmanNetConf = Join-Path $WorkDir 'podman/netconf'
$podmanRoot = Join-Path $WorkDir 'podman/root'
$podmanRunRoot = Join-Path $WorkDir 'podman/runroot'
# The same limits for both: podman run fails here without them (no CAP_SYS_RESOURCE to raise nofile/nproc).
$Ulimits = @('nofile=1024:1024', 'nproc=1024:1024')
$PodmanGlobal = @('--root', $podmanRoot, '--runroot', $podmanRunRoot, '--runtime', 'runc', '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none', '--storage-driver', 'overlay', '--tmpdir', (Join-Path $WorkDir 'podman/tmp'),
    '--network-config-dir', $podmanNetConf)
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
# The engine's per-phase trace (PhaseTrace) over $Runs untimed runs of $Body: per phase, runs it occurred in, count
# and ms per run (outermost records only, so a mount inside a mount is not counted twice; nested phases such as a db
# inside network are in both). Kept apart from the timed runs so the listener costs them nothing.
$phaseTables = [ordered]@{}
function Measure-Phases([string] $Label, [scriptblock] $Body, [int] $Runs) {
    $queue = [Collections.Concurrent.ConcurrentQueue[PodShell.Engine.Diagnostics.PhaseRecord]]::new()
    $listener = [Delegate]::CreateDelegate([Action[PodShell.Engine.Diagnostics.PhaseRecord]], $queue, 'Enqueue')
    $total = 0.0
    $sub = [PodShell.Engine.Diagnostics.PhaseTrace]::Listen($listener)
    try {
        for ($i = 0; $i -lt $Runs; $i++) { $sw = [Diagnostics.Stopwatch]::StartNew(); & $Body; $total += $sw.Elapsed.TotalMilliseconds }
    } finally { $sub.Dispose() }
    $array = $queue.ToArray()
    $records = @($array)
    $phaseTables[$Label] = [pscustomobject]@{
        Runs = $Runs; TotalMs = $total / $Runs
        OutsideMs = ($total - (($records | Where-Object Depth -eq 0 | ForEach-Object { $_.Elapsed.TotalMilliseconds } | Measure-Object -Sum).Sum)) / $Runs
        Phases = @($records | Where-Object Outermost | Group-Object { if ($_.Detail) { "$($_.Phase) ($($_.Detail))" } else { $_.Phase } } | ForEach-Object {
            [pscustomobject]@{ Phase = $_.Name; PerRun = $_.Count / $Runs; Ms = (($_.Group | ForEach-Object { $_.Elapsed.TotalMilliseconds } | Measure-Object -Sum).Sum) / $Runs }
        } | Sort-Object Ms -Descending)
    }
    Write-Host "bench: phases of $Label over $Runs runs: $([PodShell.Engine.Diagnostics.PhaseTrace]::Summarize($array, [TimeSpan]::FromMilliseconds($total)))"
}
$rows = [Collections.Generic.List[object]]::new()
$podmanRun = "$podmanCmd run --rm $($PodmanRunFlags -join ' ') busybox true"
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

if ($Scenario -contains 1) {
# --- 1: run-to-exit of true, network none -----------------------------------------------------------------------
$s1 = @{ PodShell = @(); Podman = @(); Runc = @(); RuncOwn = @() }
$runcRun = "runc --root $runcRoot run --bundle $bundle bench-runc-`$`$"
# A second raw bundle with PodShell's own config.json (Podman's seccomp profile, masked paths, pids limit): the same
# work runc does under PodShell, without the engine. `runc spec`'s default bundle above has no seccomp filter.
$own = New-Container busybox -Name bench-ownspec -Network none -Ulimit $Ulimits -- true
$ownBundle = Join-Path $WorkDir 'bundle-own'
New-Item -ItemType Directory -Force $ownBundle | Out-Null
$ownSpec = Get-Content (Join-Path $own.BundlePath 'config.json') -Raw | ConvertFrom-Json
$ownSpec.root.path = Join-Path $bundle 'rootfs'; $ownSpec.root.readonly = $true; $ownSpec.process.terminal = $false
$ownSpec.linux.cgroupsPath = "/$($env:PODSHELL_CGROUP_PARENT)/bench-ownspec-raw"
$ownSpec | ConvertTo-Json -Depth 30 | Set-Content (Join-Path $ownBundle 'config.json')
$runcOwn = "runc --root $runcRoot run --bundle $ownBundle bench-own-`$`$"
for ($r = 0; $r -lt $Rounds; $r++) {
    $s1.PodShell += Measure-InProcess { Invoke-Container busybox -AutoRemove -Network none -Ulimit $Ulimits -- true | Out-Null } $Batch
    $s1.Podman += Measure-Hyperfine $podmanRun $Batch
    $s1.Runc += Measure-Hyperfine $runcRun $Batch
    $s1.RuncOwn += Measure-Hyperfine $runcOwn $Batch
}
Remove-Container $own -Force -Confirm:$false
Measure-Phases '1 run-to-exit true (network none)' { Invoke-Container busybox -AutoRemove -Network none -Ulimit $Ulimits -- true | Out-Null } $Batch
Add-Row '1 run-to-exit true (network none)' 'PodShell Invoke-Container -AutoRemove' $s1.PodShell
Add-Row '1 run-to-exit true (network none)' 'podman run --rm --network none' $s1.Podman
Add-Row '1 run-to-exit true (network none)' 'runc run (prepared bundle)' $s1.Runc
Add-Row '1 run-to-exit true (network none)' 'raw runc run of PodShell''s own config.json' $s1.RuncOwn 'same seccomp, masks and limits as PodShell'
}

if ($Scenario -contains 2) {
# --- 2: run-to-exit of true on the default bridge network ------------------------------------------------------
# PodShell's default network is a bridge on a private name and /24 (PODSHELL_BRIDGE / PODSHELL_DEFAULT_SUBNET above);
# podman gets a network of its own in a private --network-config-dir, so neither touches podman0 or podshell0.
# podman 4.3 has no --interface-name: netavark picks the next free podmanN bridge, found from inspect.
Invoke-Podman network create --subnet $podmanSubnet benchnet | Out-Null
$podmanBridge = (& podman @PodmanGlobal network inspect benchnet | ConvertFrom-Json)[0].network_interface
$s2 = @{ PodShell = @(); Podman = @() }
$podmanRun2 = "$podmanCmd run --rm --network benchnet --ulimit $($Ulimits[0]) --ulimit $($Ulimits[1]) busybox true"
for ($r = 0; $r -lt $Rounds; $r++) {
    $s2.PodShell += Measure-InProcess { Invoke-Container busybox -AutoRemove -Ulimit $Ulimits -- true | Out-Null } $Batch
    $s2.Podman += Measure-Hyperfine $podmanRun2 $Batch
}
Measure-Phases '2 run-to-exit true (bridge)' { Invoke-Container busybox -AutoRemove -Ulimit $Ulimits -- true | Out-Null } $Batch
Add-Row '2 run-to-exit true (bridge)' 'PodShell Invoke-Container -AutoRemove (bridge)' $s2.PodShell "bridge $env:PODSHELL_BRIDGE, $env:PODSHELL_DEFAULT_SUBNET"
Add-Row '2 run-to-exit true (bridge)' 'podman run --rm --network benchnet' $s2.Podman "bridge $podmanBridge, $podmanSubnet (netavark)"
Invoke-Podman network rm -f benchnet | Out-Null
}

if ($Scenario -contains 3) {
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
Measure-Phases '3 detached sleep, stop, remove' {
    $c = Invoke-Container busybox -Detach -Network none -Ulimit $Ulimits -- sleep 600
    Stop-Container -Id $c.Id -Timeout 0
    Remove-Container -Id $c.Id -Confirm:$false
} $Batch
Add-Row '3 detached sleep, stop, remove' 'PodShell Invoke -Detach; Stop -Timeout 0; Remove' $s3.PodShell
Add-Row '3 detached sleep, stop, remove' 'podman run -d; stop -t 0; rm' $s3.Podman
}

if ($Scenario -contains 4) {
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
}

if ($Scenario -contains 5) {
# --- 5: import of a ~$ArchiveMB MB image archive --------------------------------------------------------------------
# busybox plus random (incompressible) files, one layer, written by PodShell as a docker-archive; each import goes
# into a store of its own that is removed afterwards (PodShell: a fresh graph root; podman: a fresh --root).
$bigRoot = Join-Path $WorkDir 'bigrootfs'
& cp -a $rootfs $bigRoot
New-Item -ItemType Directory -Force (Join-Path $bigRoot 'data') | Out-Null
$chunks = [Math]::Max(1, [Math]::Ceiling($ArchiveMB / 25))
for ($i = 0; $i -lt $chunks; $i++) { & dd if=/dev/urandom "of=$(Join-Path $bigRoot "data/blob$i")" bs=1M count=25 status=none }
Import-ContainerImage -Path $bigRoot -Name bigimage | Out-Null
$archive = Join-Path $WorkDir 'bigimage.tar'
Export-ContainerImage bigimage -Path $archive -Format docker-archive
Remove-ContainerImage bigimage -Confirm:$false
Remove-Item -Recurse -Force $bigRoot
$archiveMiB = [Math]::Round((Get-Item $archive).Length / 1MB, 1)
$savedGraph = $env:PODSHELL_GRAPHROOT; $savedRun = $env:PODSHELL_RUNROOT
$s5 = @{ PodShell = @(); Podman = @() }
$loadRoot = Join-Path $WorkDir 'podman5'
$podmanLoad = "podman --root $loadRoot/root --runroot $loadRoot/run --storage-driver overlay --events-backend none --tmpdir $loadRoot/tmp load -q -i $archive"
$runs5 = [Math]::Max(3, [Math]::Floor($Batch / 3))
for ($r = 0; $r -lt [Math]::Min($Rounds, 3); $r++) {
    for ($i = 0; $i -lt $runs5; $i++) {
        # A fresh store per import: the engine for a graph root is made on first use, so each run pays for its store.
        $fresh = Join-Path $WorkDir "podshell5/$r-$i"
        $env:PODSHELL_GRAPHROOT = "$fresh/graph"; $env:PODSHELL_RUNROOT = "$fresh/run"
        & sync
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $img = Import-ContainerImage -Path $archive
        $s5.PodShell += $sw.Elapsed.TotalMilliseconds
        if (-not $img) { throw 'scenario 5: Import-ContainerImage returned nothing' }
        Remove-Item -Recurse -Force $fresh
    }
    $env:PODSHELL_GRAPHROOT = $savedGraph; $env:PODSHELL_RUNROOT = $savedRun
    # podman: the store is wiped before each run (not timed), so every load is into an empty store.
    $s5.Podman += Measure-Hyperfine $podmanLoad $runs5 "sync; podman --root $loadRoot/root --runroot $loadRoot/run --storage-driver overlay system reset -f >/dev/null 2>&1; rm -rf $loadRoot"
}
$env:PODSHELL_GRAPHROOT = $savedGraph; $env:PODSHELL_RUNROOT = $savedRun
& podman --root "$loadRoot/root" --runroot "$loadRoot/run" --storage-driver overlay system reset -f 2>$null | Out-Null
Remove-Item -Recurse -Force $loadRoot, (Join-Path $WorkDir 'podshell5') -ErrorAction Ignore
Add-Row "5 import $archiveMiB MiB docker-archive" 'PodShell Import-ContainerImage (fresh store)' $s5.PodShell 'no warmup; page cache warm (the file was just written)'
Add-Row "5 import $archiveMiB MiB docker-archive" 'podman load -i (fresh store)' $s5.Podman 'hyperfine, one warmup'
Remove-Item $archive
}

if ($Scenario -contains 6) {
# --- 6: 20 containers started concurrently from 4 processes ----------------------------------------------------
# 4 pwsh processes (5 detached starts each) against 4 sh loops of `podman run -d`. The pwsh processes start and
# import the module first, then wait on a go-file; the time is from go to the last start done (each process
# writes its end time), so PowerShell's own start-up (seconds here) is not counted, as a loop in a script would not.
$pwshExe = (Get-Process -Id $PID).Path
$pwshPre = @(if ((Split-Path $pwshExe -Leaf) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
$s6 = @{ PodShell = @(); Podman = @() }
$fail6 = @{ PodShell = 0; Podman = 0 }
$worker = Join-Path $WorkDir 'worker6.ps1'
@'
param($Module, $Go, $Out, $Tag)
$ErrorActionPreference = 'Stop'
Import-Module $Module
New-Item -ItemType File "$Out.ready" | Out-Null
while (-not (Test-Path $Go)) { Start-Sleep -Milliseconds 5 }
$ok = 0
$each = [Collections.Generic.List[long]]::new()
$begin = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
for ($i = 0; $i -lt 5; $i++) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    try { $c = Invoke-Container busybox -Detach -Network none -Ulimit nofile=1024:1024,nproc=1024:1024 -Name "$Tag-$i" -- sleep 600; if ($c.State -eq 'Running') { $ok++ } } catch { Write-Host "worker: $_" }
    $each.Add([long]$sw.Elapsed.TotalMilliseconds)
}
# ok, end time, then for the breakdown: when this process saw the go-file, and each start's ms.
"$ok $([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()) $begin $($each -join ',')" | Set-Content $Out
'@ | Set-Content $worker
for ($r = 0; $r -lt [Math]::Min($Rounds, 3); $r++) {
    # PodShell
    $go = Join-Path $WorkDir "go6-$r"
    $procs = @(0..3 | ForEach-Object {
        Start-Process -FilePath $pwshExe -ArgumentList (@($pwshPre) + @('-NoProfile', '-NonInteractive', '-File', $worker, $ModulePath, $go, (Join-Path $WorkDir "out6-$r-$_"), "b6-$r-$_")) -PassThru
    })
    while (@(0..3 | Where-Object { Test-Path (Join-Path $WorkDir "out6-$r-$_.ready") }).Count -lt 4) { Start-Sleep -Milliseconds 20 }
    $t0 = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
    New-Item -ItemType File $go | Out-Null
    $procs | ForEach-Object { $_.WaitForExit() }
    $okCount = 0; $last = 0
    foreach ($w in 0..3) {
        $f6 = @((Get-Content (Join-Path $WorkDir "out6-$r-$w")) -split ' ')
        $okCount += [int]$f6[0]; $last = [Math]::Max($last, [long]$f6[1])
        # Per process: how late it saw the go-file, its first start (cold: JIT, first connection) and the other four.
        Write-Host "bench: 6 round $r process ${w}: go seen +$([long]$f6[2] - $t0) ms, starts $($f6[3] -replace ',', ' ') ms, done +$([long]$f6[1] - $t0) ms"
    }
    $fail6.PodShell += 20 - $okCount
    $s6.PodShell += [double]($last - $t0)
    $running = @(Get-Container | Where-Object State -eq 'Running').Count
    if ($running -ne 20) { Write-Host "bench: scenario 6 round $r PodShell: $running running, expected 20" }
    Get-Container | Remove-Container -Force -Confirm:$false
    # podman: 4 shell loops started together; the time is the whole `wait`.
    $loop = "for i in 1 2 3 4 5; do $podmanCmd run -d $($PodmanRunFlags -join ' ') busybox sleep 600 >/dev/null || echo FAIL; done"
    $sh = "for j in 1 2 3 4; do ( $loop ) & done; wait"
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $out = & sh -c $sh
    $s6.Podman += $sw.Elapsed.TotalMilliseconds
    $fail6.Podman += @($out | Where-Object { $_ -eq 'FAIL' }).Count
    $prunning = @(& podman @PodmanGlobal ps -q).Count
    if ($prunning -ne 20) { Write-Host "bench: scenario 6 round $r podman: $prunning running, expected 20" }
    Invoke-Podman rm -a -f -t 0 | Out-Null
}
Add-Row '6 20 concurrent starts, 4 processes' 'PodShell: 4 pwsh x 5 Invoke-Container -Detach' $s6.PodShell "failed starts: $($fail6.PodShell) of $(20 * $s6.PodShell.Count); from go (module already imported)"
Add-Row '6 20 concurrent starts, 4 processes' 'podman: 4 sh loops x 5 podman run -d' $s6.Podman "failed starts: $($fail6.Podman) of $(20 * $s6.Podman.Count)"
}

if ($Scenario -contains 7) {
# --- 7: memory per running detached container -------------------------------------------------------------------
# One container is started and removed before the baseline, so what a first call costs once (JIT-compiled code,
# caches) is not counted per container; and pwsh's RSS is read again before the podman runs, whose output capture
# would otherwise be counted as ours.
# The warm-up is as many start/remove cycles as containers measured, twice: .NET recompiles hot methods after 30
# calls (tiered compilation), which shows as RSS growth that has nothing to do with a running container.
foreach ($i in 1..(2 * $MemoryContainers)) {
    Invoke-Container busybox -Detach -Network none -Ulimit $Ulimits -- sleep 600 | Remove-Container -Force -Confirm:$false
}
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
$pwshBefore = Get-Rss $PID
$managedBefore = [GC]::GetTotalMemory($true)
$ours = @(1..$MemoryContainers | ForEach-Object { Invoke-Container busybox -Detach -Network none -Ulimit $Ulimits -- sleep 600 })
Start-Sleep -Seconds 1
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
$pwshGrowth = [Math]::Max(0, ((Get-Rss $PID) - $pwshBefore) / $MemoryContainers)
# What the session holds per container on the managed heap: the engine's own state, if any.
$managedGrowth = [Math]::Max(0, ([GC]::GetTotalMemory($true) - $managedBefore) / 1KB / $MemoryContainers)
$podmans = @(1..$MemoryContainers | ForEach-Object { & podman @PodmanGlobal run -d @PodmanRunFlags busybox sleep 600 })
Start-Sleep -Seconds 1
$ourConmonArgs = (Get-ConmonPids $env:PODSHELL_RUNROOT | Select-Object -First 1 | ForEach-Object { [IO.File]::ReadAllText("/proc/$_/cmdline").Replace("`0", ' ') })
$podmanConmonArgs = (Get-ConmonPids $podmanRunRoot | Select-Object -First 1 | ForEach-Object { [IO.File]::ReadAllText("/proc/$_/cmdline").Replace("`0", ' ') })
$ourConmon = @(Get-ConmonPids $env:PODSHELL_RUNROOT | ForEach-Object { Get-Rss $_ })
$podmanConmon = @(Get-ConmonPids $podmanRunRoot | ForEach-Object { Get-Rss $_ })
$ours | Stop-Container -Timeout 0 -ErrorAction Continue | Out-Null
$ours | Remove-Container -Force -Confirm:$false
Invoke-Podman rm -a -f -t 0 | Out-Null
$memNote = "conmon processes found: PodShell $($ourConmon.Count), podman $($podmanConmon.Count)"
$rows.Add([pscustomobject]@{ Scenario = '7 memory per detached container'; Tool = 'PodShell: conmon RSS (KiB)'; N = $ourConmon.Count; Median = (Get-Median $ourConmon); Note = "plus pwsh RSS growth per container: $([Math]::Round($pwshGrowth)) KiB, of it managed heap $([Math]::Round($managedGrowth, 1)) KiB (no daemon)" })
$rows.Add([pscustomobject]@{ Scenario = '7 memory per detached container'; Tool = 'podman: conmon RSS (KiB)'; N = $podmanConmon.Count; Median = (Get-Median $podmanConmon); Note = 'no daemon; podman CLI exits' })
Write-Host "bench: 7 memory: $memNote; PodShell conmon median $(Get-Median $ourConmon) KiB, podman $(Get-Median $podmanConmon) KiB, pwsh growth $pwshGrowth KiB/container"
}

if ($Scenario -contains 8) {
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
}

# --- cleanup ------------------------------------------------------------------------------------------------------
& podman @PodmanGlobal network rm -f benchnet 2>$null | Out-Null
foreach ($br in @($env:PODSHELL_BRIDGE, $podmanBridge) -ne $null) { if (Test-Path "/sys/class/net/$br") { & ip link del $br } }
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
function Med($s, $t) {
    $hit = $rows | Where-Object { $_.Scenario -like "$s*" -and $_.Tool -like "$t*" } | Select-Object -First 1
    if ($hit) { $hit.Median } else { [double]::NaN }
}
function Ratio([double] $a, [double] $b) { if ($b -gt 0) { $a / $b } else { [double]::NaN } }
$r1p = Ratio (Med 1 podman) (Med 1 PodShell); $r1r = Ratio (Med 1 PodShell) (Med 1 runc); $r1o = Ratio (Med 1 PodShell) (Med 1 'raw runc run of')
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
$r2 = Ratio (Med 2 podman) (Med 2 PodShell)
$r5 = Ratio (Med 5 PodShell) (Med 5 podman)
$r6 = Ratio (Med 6 PodShell) (Med 6 podman)
$fmt = { param($v) '{0:0.00}' -f $v }
$targets = [Collections.Generic.List[string]]::new()
if ($Scenario -contains 1) {
    $targets.Add("| 1 | >= 3x faster than podman run --rm --network none | $(& $fmt $r1p)x | $(& $ok ($r1p -ge 3)) |")
    $targets.Add("| 1 | <= 1.5x raw runc run | $(& $fmt $r1r)x | $(& $ok ($r1r -le 1.5)) |")
    $targets.Add("| 1 | (for reference) raw runc run of PodShell's own bundle, same security defaults | $(& $fmt $r1o)x | - |")
}
if ($Scenario -contains 2) { $targets.Add("| 2 | bridge network >= 3x faster than podman | $(& $fmt $r2)x | $(& $ok ($r2 -ge 3)) |") }
if ($Scenario -contains 3) { $targets.Add("| 3 | detached sleep, stop, remove >= 3x faster than podman | $(& $fmt $r3)x | $(& $ok ($r3 -ge 3)) |") }
if ($Scenario -contains 4) {
    $targets.Add("| 4 | Get-Container ($ListSize created) < 100 ms | $('{0:0.0}' -f (Med 4 PodShell)) ms | $(& $ok ((Med 4 PodShell) -lt 100)) |")
    $targets.Add("| 4 | >= 5x faster than podman ps -a --format json \| ConvertFrom-Json | $(& $fmt $r4)x | $(& $ok ($r4 -ge 5)) |")
}
if ($Scenario -contains 5) { $targets.Add("| 5 | import of a $archiveMiB MiB archive no slower than podman load | $('{0:0.0}' -f (Med 5 PodShell)) ms vs $('{0:0.0}' -f (Med 5 podman)) ms ($(& $fmt $r5)x podman's time) | $(& $ok ($r5 -le 1)) |") }
if ($Scenario -contains 6) {
    $targets.Add("| 6 | 20 concurrent starts from 4 processes: all succeed | failed: PodShell $($fail6.PodShell), podman $($fail6.Podman) | $(& $ok ($fail6.PodShell -eq 0)) |")
    $targets.Add("| 6 | total time <= podman's | $('{0:0.0}' -f (Med 6 PodShell)) ms vs $('{0:0.0}' -f (Med 6 podman)) ms ($(& $fmt $r6)x podman's time) | $(& $ok ($r6 -le 1)) |")
}
if ($Scenario -contains 7) { $targets.Add("| 7 | memory per detached container <= podman's | conmon $m7p KiB (+ pwsh growth $([Math]::Round($pwshGrowth)) KiB) vs conmon $m7o KiB | $(& $ok (($m7p + [Math]::Max(0, $pwshGrowth)) -le $m7o)) |") }
if ($Scenario -contains 8) {
    $targets.Add("| 8 | Import-Module < 300 ms | $('{0:0.0}' -f (Med 8 'Import-Module')) ms (in-process, fresh pwsh; this session's first import: $('{0:0.0}' -f $importWatch.Elapsed.TotalMilliseconds) ms) | $(& $ok ((Med 8 'Import-Module') -lt 300)) |")
    $targets.Add("| 8 | cold pwsh + Import + run vs podman run | $('{0:0.0}' -f (Med 8 'pwsh -c Import')) ms vs $('{0:0.0}' -f (Med 8 'podman run')) ms (pwsh alone: $('{0:0.0}' -f (Med 8 'pwsh -c 1')) ms) | reported |")
}
foreach ($line in $targets) { $null = $md.AppendLine($line) }
$skipped = @(1..8 | Where-Object { $Scenario -notcontains $_ })
if ($skipped) { $null = $md.AppendLine().AppendLine("Scenarios not run in this run (-Scenario): $($skipped -join ', ').") }
if ($Scenario -contains 4) { $null = $md.AppendLine().AppendLine("Store fill for scenario 4 (not a target): $ListSize New-Container in $([Math]::Round($fillPodShell, 1)) s, $ListSize podman create in $([Math]::Round($fillPodman, 1)) s.") }
if ($Scenario -contains 7) {
    $null = $md.AppendLine().AppendLine("Scenario 7: $memNote.")
    $null = $md.AppendLine("Scenario 7, one conmon of each (RSS is VmRSS from /proc; pwsh growth is this session's RSS after minus before, per container, after a GC; a negative growth is noise and shown as 0):").AppendLine()
    $null = $md.AppendLine('```').AppendLine("PodShell: $ourConmonArgs").AppendLine("podman:   $podmanConmonArgs").AppendLine('```')
}
if ($phaseTables.Count) {
    $null = $md.AppendLine().AppendLine('## Where the time goes (PodShell, from the per-phase trace)').AppendLine()
    $null = $md.AppendLine('From `PhaseTrace` (what `-Debug` and `PODSHELL_TRACE` show), over separate untimed runs after the timed rounds. Per run: how often each phase ran and its wall time. Only the outermost record of a phase is summed; phases nest (a db inside network, the conmon spawn inside "monitor (conmon + runtime create)"), so rows overlap and do not add up to the total. "monitor (conmon + runtime create)" is conmon''s start plus the `runc create` it runs, up to the pid on the sync pipe; "runtime (runc ...)" are the runtime processes the engine runs itself; db rows are connection opens (open + pragmas), not statements.')
    foreach ($label in $phaseTables.Keys) {
        $t = $phaseTables[$label]
        $null = $md.AppendLine().AppendLine("Scenario $label, $($t.Runs) runs: $('{0:0.0}' -f $t.TotalMs) ms per run, of which $('{0:0.0}' -f $t.OutsideMs) ms outside any phase (cmdlet, PowerShell, bookkeeping).").AppendLine()
        $null = $md.AppendLine('| Phase | Per run | ms per run |').AppendLine('|---|---:|---:|')
        foreach ($ph in $t.Phases) { $null = $md.AppendLine("| $($ph.Phase) | $('{0:0.0}' -f $ph.PerRun) | $('{0:0.0}' -f $ph.Ms) |") }
    }
}
# The analysis of why targets are missed is kept by hand next to the harness and copied in, so a rerun keeps it.
$notes = Join-Path $PSScriptRoot 'notes.md'
if (Test-Path $notes) { $null = $md.AppendLine().Append((Get-Content $notes -Raw)) }
[IO.File]::WriteAllText($OutFile, $md.ToString())
Write-Host "bench: wrote $OutFile"
Remove-Item -Recurse -Force $WorkDir -ErrorAction Continue
