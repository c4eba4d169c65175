# Dot-sourced by Stress.ps1: what the store, the kernel and /proc say after an engine call, and what of it is a leak.
# Reads only: the kernel's tables and the SQLite file (through Microsoft.Data.Sqlite from the module's folder).

function Invoke-StressSql([string] $Sql) {
    $db = Join-Path $Graph 'podshell.db'
    if (-not (Test-Path $db)) { return }
    $c = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$db;Pooling=False")
    try {
        $c.Open()
        $cmd = $c.CreateCommand()
        # A pragma that returns a row of its own, so on its own command.
        $cmd.CommandText = 'PRAGMA busy_timeout=30000'
        $null = $cmd.ExecuteNonQuery()
        $cmd.CommandText = $Sql
        $rd = $cmd.ExecuteReader()
        while ($rd.Read()) {
            $row = [ordered]@{}
            for ($i = 0; $i -lt $rd.FieldCount; $i++) { $row[$rd.GetName($i)] = if ($rd.IsDBNull($i)) { $null } else { $rd.GetValue($i) } }
            [pscustomobject]$row
        }
        $rd.Dispose()
    }
    finally { $c.Dispose() }
}

# The store as the database holds it: containers (with LayerId from the record), images, layers.
function Get-StressStore {
    $containers = @(Invoke-StressSql 'SELECT id, name, state, image_id, data FROM containers' | ForEach-Object {
            $d = $_.data | ConvertFrom-Json
            [pscustomobject]@{ Id = $_.id; Name = $_.name; State = $_.state; ImageId = $_.image_id; LayerId = $d.LayerId }
        })
    [pscustomobject]@{
        Containers = $containers
        Images = @(Invoke-StressSql 'SELECT id FROM images' | ForEach-Object id)
        ImageNames = @(Invoke-StressSql 'SELECT name, image_id FROM image_names')
        Layers = @(Invoke-StressSql 'SELECT id FROM layers' | ForEach-Object id)
    }
}

function Test-PidAlive([int] $ProcessId) { Test-Path "/proc/$ProcessId" }

# Where a cgroup parent can be: /sys/fs/cgroup itself (v2) and each directory in it (v1 controllers, the hybrid
# unified mount).
function Get-CgroupHierarchies { @('/sys/fs/cgroup') + @([IO.Directory]::GetDirectories('/sys/fs/cgroup')) }

# Every leak visible now, one string each (stable across calls, so a leak is counted once however often it is seen).
# $Busy: container ids an operation in flight may legitimately hold in a transitional state.
function Find-Leaks([string[]] $Busy = @()) {
    $store = Get-StressStore
    $byId = @{}; foreach ($c in $store.Containers) { $byId[$c.Id] = $c }
    $layerOwners = @{}; foreach ($c in $store.Containers) { if ($c.LayerId) { $layerOwners[$c.LayerId] = $c } }
    $live = @{}; foreach ($c in $store.Containers) { if ($c.State -in 'Running', 'Paused', 'Stopping') { $live[$c.Id] = $true } }
    $ownPids = @{}; $ownPids[$PID] = $true; foreach ($w in $script:Workers) { $ownPids[$w.Pid] = $true }

    # Records stuck in a transitional state after an engine call has looked at them.
    foreach ($c in $store.Containers) {
        if ($c.State -in 'Creating', 'Starting', 'Stopping', 'Removing' -and $c.Id -notin $Busy) { "record stuck in $($c.State): $($c.Name) $($c.Id)" }
    }
    # Mounts under the work dir: a container's rootfs (overlay/<layer>/merged) or anything naming a container id.
    foreach ($line in [IO.File]::ReadAllLines('/proc/self/mountinfo')) {
        $mp = $line.Split(' ')[4] -replace '\\040', ' '
        if (-not $mp.StartsWith($WorkDir + '/')) { continue }
        $owner = $null
        foreach ($m in [regex]::Matches($mp, '[0-9a-f]{64}')) {
            if ($byId.ContainsKey($m.Value)) { $owner = $byId[$m.Value] } elseif ($layerOwners.ContainsKey($m.Value)) { $owner = $layerOwners[$m.Value] }
        }
        if (-not $owner) { "mount of no container: $mp" }
        # Folding an exit unmounts the rootfs (until the next start); an exited container's mount is left over.
        elseif ($owner.State -eq 'Exited' -and $mp.EndsWith('/merged') -and $owner.Id -notin $Busy) { "rootfs still mounted for an Exited container: $($owner.Name) $mp" }
    }
    # Cgroups: one dir per container under the parent, in every hierarchy; only a running container has one.
    $cgSeen = @{}
    foreach ($h in Get-CgroupHierarchies) {
        $parent = Join-Path $h $CgroupParent
        if (-not [IO.Directory]::Exists($parent)) { continue }
        foreach ($d in [IO.Directory]::GetDirectories($parent)) {
            $id = [IO.Path]::GetFileName($d)
            if ($live.ContainsKey($id) -or $id -in $Busy -or $cgSeen.ContainsKey($id)) { continue }
            $cgSeen[$id] = $true
            $procs = @(try { [IO.File]::ReadAllLines("$d/cgroup.procs") } catch { })
            $what = if ($byId.ContainsKey($id)) { "of a $($byId[$id].State) container" } else { 'of no container' }
            "cgroup $what ($($procs.Count) processes): $CgroupParent/$id"
        }
    }
    # Processes that name the work dir (conmon, runc and their children) but belong to no running container.
    foreach ($d in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($d)
        if ($name -notmatch '^\d+$' -or $ownPids.ContainsKey([int]$name)) { continue }
        try { $cmdline = [IO.File]::ReadAllText("$d/cmdline").Replace([char]0, ' ') } catch { continue }
        if (-not $cmdline.Contains($WorkDir)) { continue }
        $ids = @([regex]::Matches($cmdline, '[0-9a-f]{64}') | ForEach-Object Value)
        if (@($ids | Where-Object { $live.ContainsKey($_) -or $_ -in $Busy }).Count) { continue }
        $comm = try { [IO.File]::ReadAllText("$d/comm").Trim() } catch { '?' }
        "process of no running container: $comm $(if ($ids) { $ids[0] } else { '' })"
    }
    # Per-container files with no container behind them.
    foreach ($dir in (Join-Path $Run 'netns'), (Join-Path $Run 'containers'), (Join-Path $Graph 'containers')) {
        if (-not [IO.Directory]::Exists($dir)) { continue }
        foreach ($e in [IO.Directory]::EnumerateFileSystemEntries($dir)) {
            $id = [IO.Path]::GetFileName($e)
            if (-not $byId.ContainsKey($id) -and $id -notin $Busy) { "left without its container: $e" }
        }
    }
    $rt = Join-Path $Run 'runtime'
    if ([IO.Directory]::Exists($rt)) {
        foreach ($e in [IO.Directory]::EnumerateDirectories($rt)) {
            $id = [IO.Path]::GetFileName($e)
            if (-not $live.ContainsKey($id) -and $id -notin $Busy) { "runtime state of a container that is not running: $e" }
        }
    }
    # Layers: staging dirs, layers still marked incomplete, layer dirs nobody uses, recorded layers without a dir.
    $overlay = Join-Path $Graph 'overlay'
    if ([IO.Directory]::Exists($overlay)) {
        foreach ($e in [IO.Directory]::EnumerateDirectories($overlay)) {
            $n = [IO.Path]::GetFileName($e)
            if ($n -eq 'l') { continue }
            if ($n.StartsWith('.incomplete-')) { "staging layer dir (.incomplete-*): $n"; continue }
            if ([IO.File]::Exists("$e/incomplete")) { "layer still marked incomplete: $n"; continue }
            if ($n -notin $store.Layers -and -not $layerOwners.ContainsKey($n)) { "layer dir of no image or container: $n" }
        }
        foreach ($l in $store.Layers) { if (-not [IO.Directory]::Exists("$overlay/$l/diff")) { "recorded layer without its dir: $l" } }
    }
    $blobTmp = Join-Path $Graph 'blobs/tmp'
    if ([IO.Directory]::Exists($blobTmp)) {
        foreach ($f in [IO.Directory]::EnumerateFiles($blobTmp)) {
            $owner = ([IO.Path]::GetFileName($f) -split '-')[0]
            if ($owner -notmatch '^\d+$' -or -not (Test-PidAlive ([int]$owner))) { "blob temp file of a dead writer: $f" }
        }
    }
    $check = @(Invoke-StressSql 'PRAGMA integrity_check' | ForEach-Object { $_.PSObject.Properties.Value })
    if (($check -join ',') -ne 'ok') { "integrity_check: $($check -join '; ')" }
}

# Containers whose image or layers are gone (race b): what a user sees as a container that cannot start.
function Find-BrokenContainers {
    $store = Get-StressStore
    $overlay = Join-Path $Graph 'overlay'
    foreach ($c in $store.Containers) {
        if ($c.ImageId -notin $store.Images) { "container $($c.Name): its image $($c.ImageId.Substring(0, 12)) is gone"; continue }
        if (-not $c.LayerId -or -not [IO.Directory]::Exists("$overlay/$($c.LayerId)/diff")) { "container $($c.Name): its layer dir is gone"; continue }
        $lowerFile = "$overlay/$($c.LayerId)/lower"
        if ([IO.File]::Exists($lowerFile)) {
            foreach ($l in [IO.File]::ReadAllText($lowerFile).Trim().Split(':')) {
                if ($l -and -not [IO.Directory]::Exists("$overlay/$l")) { "container $($c.Name): lower layer $l is gone" }
            }
        }
    }
}

# Counts leaks not counted before (a leak that persists is one leak).
$script:SeenLeaks = [Collections.Generic.HashSet[string]]::new()
function Measure-NewLeaks([string[]] $Busy = @(), [string] $Context) {
    $n = 0
    foreach ($l in @(Find-Leaks $Busy)) {
        if ($script:SeenLeaks.Add($l)) { $n++; Write-Host "  leak ($Context): $l" }
    }
    $n
}

# The end: every container and image removed through the engine, then whatever remains removed by hand and reported.
function Clear-StressState {
    try { Get-Container | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue } catch { }
    try { Get-ContainerImage | Remove-ContainerImage -Force -Confirm:$false -ErrorAction SilentlyContinue } catch { }
    try { foreach ($l in @(Find-Leaks)) { if (-not $script:SeenLeaks.Contains($l)) { "after cleanup: $l" } } }
    catch { "after cleanup: the leak check failed: $($_.Exception.Message)" }
    # By hand: mounts, cgroups (killing their processes first: they are the containers this run made), processes.
    $mounts = @([IO.File]::ReadAllLines('/proc/self/mountinfo') | ForEach-Object { $_.Split(' ')[4] } | Where-Object { $_.StartsWith($WorkDir + '/') })
    [array]::Reverse($mounts)
    foreach ($m in $mounts) { & umount -l $m 2>$null; "mount detached: $m" }
    foreach ($h in Get-CgroupHierarchies) {
        $parent = Join-Path $h $CgroupParent
        if (-not [IO.Directory]::Exists($parent)) { continue }
        foreach ($d in [IO.Directory]::GetDirectories($parent)) {
            foreach ($p in @(try { [IO.File]::ReadAllLines("$d/cgroup.procs") } catch { })) { if ($p) { & kill -9 $p 2>$null } }
            Start-Sleep -Milliseconds 100
            try { [IO.Directory]::Delete($d) } catch { "cgroup could not be removed: $d" }
        }
        try { [IO.Directory]::Delete($parent) } catch { "cgroup parent could not be removed: $parent ($($_.Exception.Message))" }
    }
    foreach ($d in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($d)
        if ($name -notmatch '^\d+$' -or [int]$name -eq $PID) { continue }
        try { $cmdline = [IO.File]::ReadAllText("$d/cmdline").Replace([char]0, ' ') } catch { continue }
        if ($cmdline.Contains($WorkDir) -and -not $cmdline.Contains($ChildScript)) { & kill -9 $name 2>$null; "process ended: $name $($cmdline.Substring(0, [Math]::Min(80, $cmdline.Length)))" }
    }
    if (Test-Path "/sys/class/net/$env:PODSHELL_BRIDGE") { & ip link del $env:PODSHELL_BRIDGE 2>$null; "bridge removed: $env:PODSHELL_BRIDGE" }
    Remove-Item -Recurse -Force $WorkDir -ErrorAction SilentlyContinue
    if (Test-Path $WorkDir) { "work dir could not be removed: $WorkDir" }
}
