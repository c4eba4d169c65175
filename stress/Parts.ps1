# Dot-sourced by Stress.ps1: the parts of the campaign. Each ends with one Add-Result.

function Get-Budget([int] $Seconds) { [DateTime]::UtcNow.AddSeconds($Seconds * $Duration) }
function Get-Count([int] $Count) { [Math]::Max(1, [int][Math]::Round($Count * $Iterations)) }
function Quote([string] $s) { "'" + $s.Replace("'", "''") + "'" }

# A rootfs tar of its own (a marker file makes its layer unique, so an import really extracts it), with an optional
# incompressible file to make the extraction last.
$script:TarSerial = 0
function New-StressTar([int] $ExtraMB = 0) {
    $n = ++$script:TarSerial
    $extra = Join-Path $WorkDir "tar-extra-$n"
    New-Item -ItemType Directory -Force $extra | Out-Null
    Set-Content -Path (Join-Path $extra 'stress-marker') -Value ([Guid]::NewGuid().ToString())
    $tarArgs = @('-cf', (Join-Path $WorkDir "image-$n.tar"), '-C', $Rootfs, '.', '-C', $extra, 'stress-marker')
    if ($ExtraMB -gt 0) {
        $big = Join-Path $WorkDir "big-$ExtraMB.bin"
        if (-not (Test-Path $big)) {
            $bytes = [byte[]]::new($ExtraMB * 1MB); $Rng.NextBytes($bytes); [IO.File]::WriteAllBytes($big, $bytes)
        }
        $tarArgs += @('-C', $WorkDir, (Split-Path $big -Leaf))
    }
    & tar @tarArgs
    if ($LASTEXITCODE -ne 0) { throw "tar failed: $tarArgs" }
    Remove-Item -Recurse -Force $extra
    Join-Path $WorkDir "image-$n.tar"
}

function Get-StressContainerId([string] $Name) {
    $c = @((Get-StressStore).Containers | Where-Object Name -eq $Name)
    if ($c.Count) { $c[0].Id } else { $null }
}

function Remove-Quietly([string[]] $Containers = @(), [string[]] $Images = @()) {
    foreach ($n in $Containers) { if (Get-StressContainerId $n) { try { Remove-Container -Name $n -Force -Confirm:$false -ErrorAction Stop } catch { Write-Host "  cleanup: Remove-Container $n failed: $_" } } }
    foreach ($i in $Images) { if (Get-ContainerImage -Name $i -ErrorAction Ignore) { try { Remove-ContainerImage -Id $i -Force -Confirm:$false -ErrorAction Stop } catch { Write-Host "  cleanup: Remove-ContainerImage $i failed: $_" } } }
}

# Waits (up to 15 s) until a container that the store says runs has exited: conmon has written its exit file. Reads
# only files, so no engine call folds anything in meanwhile.
function Wait-ContainerExit([string] $Name) {
    $until = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $until) {
        $c = (Get-StressStore).Containers | Where-Object Name -eq $Name | Select-Object -First 1
        if (-not $c -or $c.State -ne 'Running' -or (Test-Path (Join-Path $Run "exits/$($c.Id)"))) { return }
        Start-Sleep -Milliseconds 50
    }
}

# The one engine call after a kill: it must finish what the killed process left (Creating/Removing records, exits).
function Invoke-EngineCall {
    try { Get-Container -ErrorAction Stop | Out-Null } catch { Write-Host "  Get-Container after the kill failed: $_" }
}

# --- kill -9 matrix ---------------------------------------------------------------------------------------------
# Each operation: Setup (in this process) returns @{ Script; Known containers; Known images; Containers/Images to
# clean up }. Known things existed, whole, before the kill and must exist after it.
function Get-KillOperations {
    [ordered]@{
        'New-Container' = { param($i) $n = "s-new-$i"
            @{ Script = "New-Container -Image busybox -Network none -Command sleep,1000 -Name $(Quote $n) | Out-Null"; Containers = @($n) } }
        'Start-Container' = { param($i) $n = "s-start-$i"; $c = New-Container -Image busybox -Network none -Command sleep, 1000 -Name $n
            @{ Script = "Start-Container -Name $(Quote $n)"; Known = @($c.Id); Containers = @($n) } }
        'Stop-Container' = { param($i) $n = "s-stop-$i"; $c = Invoke-Container -Detach -Image busybox -Network none -Command sleep, 1000 -Name $n
            # busybox sleep as PID 1 ignores SIGTERM: the stop waits its second, then SIGKILLs.
            @{ Script = "Stop-Container -Name $(Quote $n) -Timeout 1"; Known = @($c.Id); Containers = @($n) } }
        'Remove-Container' = { param($i) $n = "s-rm-$i"; $null = Invoke-Container -Detach -Image busybox -Network none -Command sleep, 1000 -Name $n
            @{ Script = "Remove-Container -Name $(Quote $n) -Force -Confirm:`$false"; Containers = @($n) } }
        'Import-ContainerImage' = { param($i) $img = "s-import-$i"; $tar = New-StressTar 8
            @{ Script = "Import-ContainerImage -Path $(Quote $tar) -Name $(Quote $img) | Out-Null"; Images = @($img); Files = @($tar) } }
        'New-ContainerImage' = { param($i) $n = "s-commit-$i"; $img = "s-commit-img-$i"
            $c = New-Container -Image busybox -Network none -Command sleep, 1000 -Name $n
            Copy-ContainerItem (Join-Path $WorkDir 'big-8.bin') "${n}:/blob"
            @{ Script = "New-ContainerImage -Container $(Quote $n) -Name $(Quote $img) | Out-Null"; Known = @($c.Id); Containers = @($n); Images = @($img) } }
        'Copy-ContainerItem (stopped)' = { param($i) $n = "s-cp-$i"
            $c = Invoke-Container -Detach -Image busybox -Network none -Command sleep, 1000 -Name $n
            Stop-Container -Name $n -Timeout 0
            # An exited container's rootfs is mounted for the copy and unmounted after it.
            @{ Script = "Copy-ContainerItem $(Quote (Join-Path $WorkDir 'big-8.bin')) $(Quote "${n}:/blob")"; Known = @($c.Id); Containers = @($n) } }
        'Invoke-Container -AutoRemove' = { param($i) $n = "s-run-$i"
            @{ Script = "Invoke-Container -AutoRemove -Image busybox -Network none -Name $(Quote $n) -Command sh,-c,'sleep 0.3' | Out-Null"; Containers = @($n); AutoRemove = $n } }
        'Remove-ContainerImage' = { param($i) $img = "s-rmi-$i"; $tar = New-StressTar
            Import-ContainerImage -Path $tar -Name $img | Out-Null
            @{ Script = "Remove-ContainerImage -Id $(Quote $img) -Force -Confirm:`$false"; Images = @($img); Files = @($tar) } }
    }
}

function Test-LostRecords($Ctx, [string[]] $KnownImages) {
    $store = Get-StressStore
    $lost = 0
    foreach ($id in @($Ctx['Known'] | Where-Object { $_ })) {
        if (-not @($store.Containers | Where-Object Id -eq $id).Count) { $lost++; Write-Host "  lost: container $id" }
    }
    foreach ($id in $KnownImages) { if ($id -notin $store.Images) { $lost++; Write-Host "  lost: image $id" } }
    $lost
}

# Image ids present now, except those named in $Except (the ones the operation may remove).
function Get-KnownImages([string[]] $Except) {
    $store = Get-StressStore
    $skip = @($store.ImageNames | Where-Object { $n = $_.name; @($Except | Where-Object { $_ -and $n -match "(^|/)$([regex]::Escape($_))(:|$)" }).Count } | ForEach-Object image_id)
    @($store.Images | Where-Object { $_ -notin $skip })
}

# The kill window: the median of the durations seen so far (at least 20 ms).
function Get-Median($Values) {
    $v = @($Values | Sort-Object)
    [Math]::Max(20, $v[[int][Math]::Floor(($v.Count - 1) / 2)])
}

# Runs $Script in the warm worker $w and SIGKILLs it after a random delay in [0, median of $Durations]. Outcome:
# 'finished' (it ended before the kill: the worker is handed back, its duration joins $Durations), 'killed' (mid
# operation), or 'after' (the kill came, but the worker had already written its result). Orphans: pids the killed
# worker had spawned that are still alive 10 s later.
function Invoke-KillAtRandom($w, [string] $Script, $Durations) {
    $delay = $Rng.Next(0, (Get-Median $Durations) + 1)
    Send-WorkerScript $w $Script
    $r = Receive-WorkerResult $w $delay
    if ($null -ne $r) {
        if ($r.ok) { $Durations.Add([int]$r.ms) }
        Restore-Worker $w
        return [pscustomobject]@{ Outcome = 'finished'; Delay = $delay; Orphans = @() }
    }
    $orphans = Stop-WorkerHard $w
    $late = Read-WorkerLine $w 200
    $outcome = if ($late -and $late.StartsWith('DONE')) { 'after' } else { 'killed' }
    [pscustomobject]@{ Outcome = $outcome; Delay = $delay; Orphans = @(Wait-PidsGone $orphans 10000) }
}

function Invoke-KillMatrix {
    $null = New-StressTar 8   # makes big-8.bin for the commit setup
    $perOp = Get-Count 5
    $budget = Get-Budget 300
    $ops = Get-KillOperations
    $serial = 0
    foreach ($name in $ops.Keys) {
        $opStats = @{ ops = 1; kills = 0; leaks = 0; lost = 0 }
        # Calibration: one run to completion gives the window the kills are spread over; each run that finishes
        # before its kill adds its duration (a first run in a fresh worker is the slowest).
        $w = Get-WarmWorker
        $ctx = & $ops[$name] (++$serial)
        $r = Invoke-Worker $w $ctx.Script
        if (-not $r.ok) { Write-Host "  ${name}: calibration run failed: $($r.err)" }
        $durations = [Collections.Generic.List[int]]::new()
        $durations.Add([int]$r.ms)
        Restore-Worker $w
        if ($ctx['AutoRemove']) { Wait-ContainerExit $ctx.AutoRemove }
        Invoke-EngineCall
        $opStats.leaks += Measure-NewLeaks -Context "$name calibration"
        Remove-Quietly $ctx['Containers'] $ctx['Images']
        foreach ($f in @($ctx['Files'])) { if ($f) { Remove-Item -Force $f -ErrorAction Ignore } }

        for ($k = 0; $k -lt $perOp -and [DateTime]::UtcNow -lt $budget; $k++) {
            $w = Get-WarmWorker
            $ctx = & $ops[$name] (++$serial)
            $knownImages = @(Get-KnownImages @($ctx['Images']))
            $k1 = Invoke-KillAtRandom $w $ctx.Script $durations
            $delay = $k1.Delay
            $opStats.ops++
            if ($k1.Outcome -eq 'killed') { $opStats.kills++ }
            foreach ($p in $k1.Orphans) { $opStats.leaks++; Write-Host "  leak ($name): process $p orphaned by the kill still alive after 10 s" }
            # The -AutoRemove container runs 0.3 s: let it exit, then one engine call must remove it.
            if ($ctx['AutoRemove']) { Wait-ContainerExit $ctx.AutoRemove }
            Invoke-EngineCall
            $opStats.leaks += Measure-NewLeaks -Context "$name kill $k after ${delay} ms"
            $opStats.lost += Test-LostRecords $ctx $knownImages
            if ($ctx['AutoRemove'] -and (Get-StressContainerId $ctx.AutoRemove)) {
                $opStats.leaks++; Write-Host "  leak ($name): -AutoRemove container $($ctx.AutoRemove) left after it exited and an engine call"
            }
            Remove-Quietly $ctx['Containers'] $ctx['Images']
            foreach ($f in @($ctx['Files'])) { if ($f) { Remove-Item -Force $f -ErrorAction Ignore } }
        }
        Add-Result "kill: $name" $opStats.ops $opStats.kills $opStats.leaks $opStats.lost 0 "window $(Get-Median $durations) ms; $($opStats.ops - 1 - $opStats.kills) finished before their kill"
    }
}


# --- parallel lifecycle -----------------------------------------------------------------------------------------
# 6 workers, each create/start/stop/remove cycles on 8 shared names: a name taken by another worker is a conflict
# (ContainerNameInUse), anything else that fails is an error. A name held by two ids at once is a duplicate: each
# worker reports when its containers surely existed (from the end of the create to the start of the remove).
function Invoke-ParallelLifecycle {
    $workers = 6
    $cycles = Get-Count 25
    $seconds = [int](240 * $Duration)
    $script = @"
`$names = 0..7 | ForEach-Object { "s-par-`$_" }
`$deadline = [DateTime]::UtcNow.AddSeconds($seconds)
`$res = @{ ops = 0; cycles = 0; conflicts = 0; lost = 0; errors = @(); spans = @() }
for (`$i = 0; `$i -lt $cycles -and [DateTime]::UtcNow -lt `$deadline; `$i++) {
    `$n = `$names[(Get-Random -Maximum `$names.Count)]
    `$res.ops++
    try { `$c = New-Container -Image busybox -Network none -Command sleep,1000 -Name `$n }
    catch { if ("`$(`$_.FullyQualifiedErrorId)" -like 'ContainerNameInUse*') { `$res.conflicts++ } else { `$res.errors += "create: `$_" }; continue }
    `$t1 = [DateTime]::UtcNow.Ticks
    `$step = 'start'
    try {
        `$res.ops++; Start-Container -Id `$c.Id
        `$step = 'stop'; `$res.ops++; Stop-Container -Id `$c.Id -Timeout 0
    }
    catch { if ("`$(`$_.FullyQualifiedErrorId)" -like 'ContainerNotFound*') { `$res.lost++ }; `$res.errors += "`${step}: `$_" }
    `$t2 = [DateTime]::UtcNow.Ticks
    `$res.spans += ,@(`$n, `$c.Id, `$t1, `$t2)
    try { `$res.ops++; Remove-Container -Id `$c.Id -Force -Confirm:`$false; `$res.cycles++ }
    catch { if ("`$(`$_.FullyQualifiedErrorId)" -like 'ContainerNotFound*') { `$res.lost++ }; `$res.errors += "remove: `$_" }
}
`$res | ConvertTo-Json -Compress -Depth 5
"@
    $ws = @(1..$workers | ForEach-Object { Start-Worker })
    foreach ($w in $ws) { Wait-WorkerReady $w }
    foreach ($w in $ws) { Send-WorkerScript $w $script }
    $results = @(foreach ($w in $ws) {
            $r = Receive-WorkerResult $w ([int](($seconds + 120) * 1000))
            if ($null -eq $r) { throw "parallel: worker $($w.Pid) did not finish" }
            if (-not $r.ok) { throw "parallel: worker $($w.Pid) failed: $($r.err)" }
            $r.out | ConvertFrom-Json
            Stop-WorkerGently $w
        })
    $ops = ($results | Measure-Object ops -Sum).Sum
    $cyclesDone = ($results | Measure-Object cycles -Sum).Sum
    $conflicts = ($results | Measure-Object conflicts -Sum).Sum
    $lost = ($results | Measure-Object lost -Sum).Sum
    $errors = @($results | ForEach-Object { @($_.errors) } | Where-Object { $_ })
    foreach ($e in $errors | Select-Object -First 10) { Write-Host "  parallel error: $e" }
    # Duplicates: two ids holding one name over overlapping spans.
    $spans = @($results | ForEach-Object { @($_.spans) } | ForEach-Object { [pscustomobject]@{ Name = $_[0]; Id = $_[1]; T1 = [long]$_[2]; T2 = [long]$_[3] } })
    $dup = 0
    foreach ($g in $spans | Group-Object Name) {
        $s = @($g.Group | Sort-Object T1)
        for ($i = 0; $i -lt $s.Count; $i++) {
            for ($j = $i + 1; $j -lt $s.Count -and $s[$j].T1 -lt $s[$i].T2; $j++) {
                if ($s[$j].Id -ne $s[$i].Id) { $dup++; Write-Host "  duplicate name $($g.Name): $($s[$i].Id) and $($s[$j].Id)" }
            }
        }
    }
    Invoke-EngineCall
    $leaks = Measure-NewLeaks -Context 'parallel'
    $left = @((Get-StressStore).Containers | Where-Object Name -like 's-par-*')
    foreach ($c in $left) { $leaks++; Write-Host "  leak (parallel): container $($c.Name) $($c.State) left after its remove" }
    Remove-Quietly @($left | ForEach-Object Name)
    Add-Result 'parallel lifecycle' $ops 0 $leaks $lost ($dup + $errors.Count) "$workers workers, $cyclesDone full cycles, $conflicts name conflicts, $dup duplicated names, $($errors.Count) errors"
}

# --- race (a): Copy-ContainerItem while the container swaps a directory with a symlink to a host dir --------------
# Phase 1 is the issue's loop (mv /d /dt; mv /dlink /d; mv /d /dlink; mv /dt /d). Phase 2, when a C compiler is
# there, swaps /d and /dlink atomically (stress/swap.c, renameat2 RENAME_EXCHANGE): /d is then never missing, so far
# more copies meet the swap. Copiers: 4 workers at once (a copier preempted between resolving a path and opening it
# is what lets a swap land in between). Bad outcomes: files created in the host dir, copies out that read its secret.
function Invoke-CopyPhase([string] $Name, [string] $HostDir, [string] $InDir, [string] $OutDir, [int] $Count, [int] $Seconds, $Errs) {
    $copiers = 4
    $perCopier = [int][Math]::Ceiling($Count / $copiers)
    $ws = @(1..$copiers | ForEach-Object { Get-WarmWorker })
    for ($k = 0; $k -lt $copiers; $k++) {
        Send-WorkerScript $ws[$k] @"
`$deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
`$res = @{ ops = 0; failed = 0; reads = 0; errors = @() }
for (`$i = 0; `$i -lt $perCopier -and [DateTime]::UtcNow -lt `$deadline; `$i++) {
    `$res.ops++
    try {
        if (`$i % 3 -eq 1) { Copy-ContainerItem $(Quote (Join-Path $InDir 'f1')) "${Name}:/d/in-$k-`$i" }
        elseif (`$i % 3 -eq 2) { Copy-ContainerItem $(Quote $InDir) "${Name}:/d/in-$k-`$i" }
        else {
            `$out = Join-Path $(Quote $OutDir) "$Name-$k-`$i"
            Copy-ContainerItem "${Name}:/d/secret" `$out
            if ((Test-Path `$out) -and (Get-Content -Raw `$out) -match 'HOST-SECRET') { `$res.reads++ }
            Remove-Item -Recurse -Force `$out -ErrorAction Ignore
        }
    }
    catch { `$res.failed++; `$id = "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)"; if (`$res.errors.Count -lt 5 -and `$id -notin `$res.errors) { `$res.errors += `$id } }
}
`$res | ConvertTo-Json -Compress
"@
    }
    $t = [pscustomobject]@{ Ops = 0; Failed = 0; Reads = 0 }
    foreach ($w in $ws) {
        $r = Receive-WorkerResult $w (($Seconds + 120) * 1000)
        if ($null -eq $r -or -not $r.ok) { throw "copy race: a copier did not finish: $(if ($r) { $r.err })" }
        $x = $r.out | ConvertFrom-Json
        $t.Ops += $x.ops; $t.Failed += $x.failed; $t.Reads += $x.reads
        foreach ($e in @($x.errors)) { if ($e -and $Errs.Add(($e -split ':')[0]) -and $Errs.Count -le 5) { Write-Host "  copy race: a copy failed: $e" } }
        Restore-Worker $w
    }
    $t
}

function Invoke-CopyRace {
    $count = Get-Count 8000
    $seconds = [int](60 * $Duration)
    $hostDir = Join-Path $WorkDir 'copy-host-target'
    New-Item -ItemType Directory -Force $hostDir | Out-Null
    Set-Content -Path (Join-Path $hostDir 'secret') -Value 'HOST-SECRET'
    $outDir = Join-Path $WorkDir 'copy-out'
    New-Item -ItemType Directory -Force $outDir | Out-Null
    # Copied in as a file and as a directory (each file in it is one more path resolved while /d changes under it).
    $inDir = Join-Path $WorkDir 'copy-in'
    New-Item -ItemType Directory -Force $inDir | Out-Null
    foreach ($f in 1..10) { Set-Content -Path (Join-Path $inDir "f$f") -Value 'from the host side' }
    # /dlink holds the host dir's path: inside the container it points nowhere, but a copy that resolves /d and then
    # opens it from the host would follow it on the host.
    $prep = "mkdir -p /d && echo inside > /d/secret && ln -s $hostDir /dlink"
    $swap = $null
    if (Get-Command gcc -CommandType Application -ErrorAction Ignore) {
        $swap = Join-Path $WorkDir 'swap'
        & gcc -static -O2 -o $swap (Join-Path $PSScriptRoot 'swap.c') 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { Write-Host '  copy race: gcc could not build stress/swap.c statically; the atomic-swap phase is skipped'; $swap = $null }
    }
    else { Write-Host '  copy race: no gcc; the atomic-swap phase is skipped' }
    $phases = @(@{ Name = 's-copy-mv'; Loop = "$prep && while :; do mv /d /dt; mv /dlink /d; mv /d /dlink; mv /dt /d; done" })
    if ($swap) { $phases += @{ Name = 's-copy-xchg'; Loop = "$prep && exec /swap /d /dlink" } }
    $ops = 0; $failed = 0; $reads = 0; $notes = @()
    $errs = [Collections.Generic.HashSet[string]]::new()
    foreach ($ph in $phases) {
        $c = New-Container -Image busybox -Network none -Name $ph.Name -Command sh, -c, $ph.Loop
        if ($ph.Name -eq 's-copy-xchg') { Copy-ContainerItem $swap "$($ph.Name):/swap" }
        Start-Container -Name $ph.Name
        Start-Sleep -Milliseconds 300
        $t = Invoke-CopyPhase $ph.Name $hostDir $inDir $outDir ([int]($count / $phases.Count)) ([int]($seconds / $phases.Count)) $errs
        $made = @(Get-ChildItem -Force -Recurse $hostDir | Where-Object Name -ne 'secret').Count
        $notes += "$($ph.Name -replace 's-copy-', ''): $($t.Ops) copies, $($t.Reads) host reads, $made host files so far"
        $ops += $t.Ops; $failed += $t.Failed; $reads += $t.Reads
        Remove-Quietly @($ph.Name)
    }
    $created = @(Get-ChildItem -Force -Recurse $hostDir | Where-Object Name -ne 'secret')
    $hostSecretChanged = (Get-Content -Raw (Join-Path $hostDir 'secret')).Trim() -ne 'HOST-SECRET'
    foreach ($f in $created | Select-Object -First 5) { Write-Host "  copy race: host file created: $($f.FullName)" }
    if ($reads) { Write-Host "  copy race: $reads copies out read the host's file" }
    Invoke-EngineCall
    $leaks = Measure-NewLeaks -Context 'copy race'
    $bad = $created.Count + $reads + [int]$hostSecretChanged
    Add-Result 'race a: Copy-ContainerItem vs symlink swap' $ops 0 $leaks 0 $bad "$($created.Count) host files created, $reads host reads, $failed copies refused or failed ($($notes -join '; '))"
}

# --- race (b): Remove-ContainerImage -Force racing New-Container from the same image -----------------------------
function Invoke-RemoveImageRace {
    $rounds = Get-Count 40
    $deadline = Get-Budget 120
    $wa = Get-WarmWorker; $wb = Get-WarmWorker
    $createMs = 300; $rmiMs = 100
    $ops = 0; $bad = 0; $leaks = 0; $created = 0; $removed = 0
    try {
        for ($i = 0; $i -lt $rounds -and [DateTime]::UtcNow -lt $deadline; $i++) {
            $img = "s-rmirace-$i"; $n = "s-rmirace-c$i"
            $tar = New-StressTar
            Import-ContainerImage -Path $tar -Name $img | Out-Null
            Remove-Item -Force $tar
            # One of the two starts later. Most rounds start the removal while the create runs (positive skew, up to
            # the create's duration): the removal then meets a container still being made, which is where it took
            # the layers from under one; the rest start the create a little after the removal.
            $skew = if ($Rng.NextDouble() -lt 0.75) { $Rng.Next(0, $createMs + 1) } else { -$Rng.Next(0, [int]($rmiMs / 2) + 1) }
            Send-WorkerScript $wa "Start-Sleep -Milliseconds $([Math]::Max(0, -$skew)); New-Container -Image $(Quote $img) -Network none -Command sleep,1000 -Name $(Quote $n) | Out-Null"
            Send-WorkerScript $wb "Start-Sleep -Milliseconds $([Math]::Max(0, $skew)); Remove-ContainerImage -Id $(Quote $img) -Force -Confirm:`$false"
            $ra = Receive-WorkerResult $wa 120000; $rb = Receive-WorkerResult $wb 120000
            if ($null -eq $ra -or $null -eq $rb) { throw 'rmi race: a worker did not answer' }
            $ops += 2
            if ($ra.ok) { $created++; $createMs = [Math]::Max(50, [int]$ra.ms - [Math]::Max(0, -$skew)) }
            if ($rb.ok) { $removed++; $rmiMs = [Math]::Max(20, [int]$rb.ms - [Math]::Max(0, $skew)) }
            Write-Host "  rmi race $i (skew $skew ms): create $(if ($ra.ok) { "ok in $($ra.ms) ms" } else { $ra.err }); remove $(if ($rb.ok) { "ok in $($rb.ms) ms" } else { $rb.err })"
            Invoke-EngineCall
            foreach ($b in @(Find-BrokenContainers | Where-Object { $_ -like "container ${n}:*" })) { $bad++; Write-Host "  rmi race (skew $skew ms): $b" }
            $leaks += Measure-NewLeaks -Context "rmi race $i"
            Remove-Quietly @($n) @($img)
        }
    }
    finally { Restore-Worker $wa; Restore-Worker $wb }
    $leaks += Measure-NewLeaks -Context 'rmi race, after cleanup'
    Add-Result 'race b: Remove-ContainerImage -Force vs New-Container' $ops 0 $leaks 0 $bad "$bad containers left without their image or layers; $created creates and $removed removals succeeded"
}

# --- race (c): Import-ContainerImage killed mid-extraction -------------------------------------------------------
function Invoke-ImportKill {
    $kills = Get-Count 6
    $deadline = Get-Budget 150
    $w = Get-WarmWorker
    $tar = New-StressTar 32
    $r = Invoke-Worker $w "Import-ContainerImage -Path $(Quote $tar) -Name 's-impkill-cal' | Out-Null"
    Restore-Worker $w
    Remove-Item -Force $tar
    Remove-Quietly -Images 's-impkill-cal'
    $durations = [Collections.Generic.List[int]]::new()
    $durations.Add([int]$r.ms)
    $ops = 1; $done = 0; $leaks = 0
    $incomplete = [Collections.Generic.HashSet[string]]::new()
    $overlay = Join-Path $Graph 'overlay'
    $before = @(Get-ChildItem -Force $overlay -Directory | ForEach-Object Name)
    for ($i = 0; $i -lt $kills -and [DateTime]::UtcNow -lt $deadline; $i++) {
        $tar = New-StressTar 32
        $img = "s-impkill-$i"
        $w = Get-WarmWorker
        $k1 = Invoke-KillAtRandom $w "Import-ContainerImage -Path $(Quote $tar) -Name $(Quote $img) | Out-Null" $durations
        $ops++
        if ($k1.Outcome -eq 'killed') { $done++ }
        foreach ($p in $k1.Orphans) { $leaks++; Write-Host "  leak (import kill): process $p orphaned by the kill still alive after 10 s" }
        Invoke-EngineCall
        try { Get-ContainerImage -ErrorAction Stop | Out-Null } catch { }
        $left = @(Get-ChildItem -Force $overlay -Directory | Where-Object { $_.Name -notin $before -and ($_.Name.StartsWith('.incomplete-') -or (Test-Path (Join-Path $_.FullName 'incomplete'))) })
        foreach ($d in $left) { $null = $incomplete.Add($d.Name) }
        $leaks += Measure-NewLeaks -Context "import kill $i"
        Remove-Item -Force $tar
        Remove-Quietly -Images $img
    }
    Add-Result 'race c: Import-ContainerImage killed' $ops $done $leaks 0 0 "window $(Get-Median $durations) ms; $($incomplete.Count) incomplete layer dirs left after the next engine calls"
}

# --- race (d): Invoke-Container -AutoRemove whose pwsh is killed while the container runs ------------------------
function Invoke-AutoRemoveKill {
    $kills = Get-Count 4
    $deadline = Get-Budget 120
    $ops = 0; $done = 0; $left = 0; $leaks = 0
    for ($i = 0; $i -lt $kills -and [DateTime]::UtcNow -lt $deadline; $i++) {
        $n = "s-autorm-$i"
        $w = Get-WarmWorker
        Send-WorkerScript $w "Invoke-Container -AutoRemove -Image busybox -Network none -Name $(Quote $n) -Command sh,-c,'sleep 1' | Out-Null"
        $ops++
        # Kill once the container runs (read from the store, not through the engine, which would fold things in).
        $until = [DateTime]::UtcNow.AddSeconds(60)
        $c = $null
        while ([DateTime]::UtcNow -lt $until) {
            $c = (Get-StressStore).Containers | Where-Object { $_.Name -eq $n -and $_.State -eq 'Running' } | Select-Object -First 1
            if ($c) { break }
            Start-Sleep -Milliseconds 20
        }
        if (-not $c) { throw "autoremove: $n never ran" }
        Start-Sleep -Milliseconds $Rng.Next(0, 500)
        $orphans = Stop-WorkerHard $w
        $done++
        $null = Wait-PidsGone $orphans
        # Let it exit (conmon writes the exit file), then one engine call reconciles.
        Wait-ContainerExit $n
        Invoke-EngineCall
        if (Get-StressContainerId $n) { $left++; Write-Host "  autoremove: $n left behind after it exited and an engine call" }
        Remove-Quietly @($n)
        $leaks += Measure-NewLeaks -Context "autoremove kill $i"
    }
    Add-Result 'race d: Invoke-Container -AutoRemove killed' $ops $done ($leaks + $left) 0 0 "$left containers left behind"
}

# --- self-test: the detectors find what is planted ---------------------------------------------------------------
# A harness that finds nothing proves nothing: each kind of leak is planted by hand, Find-Leaks (or the broken-container
# and lost-record checks) must name it, and a clean store must show none. Bad = a planted fault missed or a leak
# reported on a clean store.
function Invoke-SelfTest {
    $missed = [Collections.Generic.List[string]]::new()
    $clean = @(Find-Leaks)
    foreach ($l in $clean) { Write-Host "  selftest: clean store reports: $l" }
    $hex = -join (1..64 | ForEach-Object { '0123456789abcdef'[$Rng.Next(16)] })
    $n = 's-selftest'
    $c = New-Container -Image busybox -Network none -Command sleep, 1000 -Name $n
    $plantDir = Join-Path $WorkDir 'selftest-mount'
    New-Item -ItemType Directory -Force $plantDir | Out-Null
    $cgHierarchy = @('/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified', '/sys/fs/cgroup') | Where-Object { Test-Path "$_/cgroup.procs" } | Select-Object -First 1
    $cgParentDir = Join-Path $cgHierarchy $CgroupParent
    $cgParentMade = -not (Test-Path $cgParentDir)
    $script:SelfTestSleeper = $null
    $lowerFile = Join-Path $Graph "overlay/$($c.LayerId)/lower"
    $lowerText = if (Test-Path $lowerFile) { [IO.File]::ReadAllText($lowerFile) } else { $null }
    $plants = [ordered]@{
        'mount of no container'                      = { & mount -t tmpfs selftest $plantDir }
        'cgroup of no container'                     = { New-Item -ItemType Directory -Force (Join-Path $cgParentDir $hex) | Out-Null }
        'staging layer dir'                          = { New-Item -ItemType Directory -Force (Join-Path $Graph 'overlay/.incomplete-selftest') | Out-Null }
        'left without its container'                 = { New-Item -ItemType Directory -Force (Join-Path $Graph "containers/$hex") | Out-Null }
        'record stuck in Removing'                   = { Invoke-StressSql "UPDATE containers SET state='Removing' WHERE id='$($c.Id)'" | Out-Null }
        'process of no running container'            = {
            $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh'); foreach ($a in '-c', "sleep 60; : $WorkDir") { $psi.ArgumentList.Add($a) }
            $script:SelfTestSleeper = [Diagnostics.Process]::Start($psi)
        }
    }
    try {
        foreach ($k in $plants.Keys) { & $plants[$k] }
        $found = @(Find-Leaks)
        foreach ($k in $plants.Keys) {
            if (-not @($found | Where-Object { $_ -like "*$k*" }).Count) { $missed.Add($k); Write-Host "  selftest: planted '$k' not found" }
        }
        # A lower layer gone under a container, and a container gone that was known.
        if ($null -ne $lowerText) {
            [IO.File]::WriteAllText($lowerFile, $lowerText.Trim() + ':l/SELFTESTMISSING')
            if (-not @(Find-BrokenContainers | Where-Object { $_ -like "container ${n}:*" }).Count) { $missed.Add('broken container'); Write-Host "  selftest: a missing lower layer was not found" }
        }
        else { $missed.Add('broken container'); Write-Host "  selftest: the container has no lower file at $lowerFile" }
        $quiet = Test-LostRecords @{ Known = @($hex) } @() 6>$null
        if ($quiet -ne 1) { $missed.Add('lost record'); Write-Host "  selftest: a known container that is gone was not counted as lost" }
    }
    finally {
        if ($null -ne $lowerText) { [IO.File]::WriteAllText($lowerFile, $lowerText) }
        Invoke-StressSql "UPDATE containers SET state='Created' WHERE id='$($c.Id)'" | Out-Null
        if ($script:SelfTestSleeper) { try { $script:SelfTestSleeper.Kill() } catch { }; $script:SelfTestSleeper.WaitForExit() }
        & umount $plantDir 2>$null
        Remove-Item -Force -Recurse (Join-Path $Graph 'overlay/.incomplete-selftest'), (Join-Path $Graph "containers/$hex") -ErrorAction Ignore
        [IO.Directory]::Delete((Join-Path $cgParentDir $hex))
        if ($cgParentMade) { [IO.Directory]::Delete($cgParentDir) }
        Remove-Quietly @($n)
    }
    $after = @(Find-Leaks)
    foreach ($l in $after) { Write-Host "  selftest: left after the plants were removed: $l" }
    $planted = $plants.Count + 2
    Add-Result 'self-test of the detectors' $planted 0 0 0 ($missed.Count + $clean.Count + $after.Count) "$($planted - $missed.Count) of $planted planted faults found; $($clean.Count) leaks reported on a clean store"
}
