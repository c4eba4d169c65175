# Rootless containers (issue 8): pwsh runs as ordinary users that this run creates, with subordinate id ranges
# this run adds to /etc/subuid and /etc/subgid and removes again. Every call as a user is one pwsh process
# (a second or more), so each call does several things and returns one object that the Its look at.
BeforeDiscovery {
    $script:CanCreateUsers = (Get-Command useradd, userdel, setpriv, newuidmap -ErrorAction Ignore).Count -eq 4
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    . (Join-Path $PSScriptRoot 'RootlessUser.ps1')

    # The errors of a call as one string, for -Because and for Should -BeNullOrEmpty.
    function Format-CallError($Result) {
        @($Result.Errors | ForEach-Object { "$($_.ErrorId): $($_.Message)" }) + @($Result.StdErr | Where-Object { $_ }) -join '; '
    }
    function Get-FileOwner([string] $Path) { [long] (& stat -c %u -- $Path) }

    # Tars the user can read: the run's busybox rootfs, and the same with /owned and /owned/file of uid and
    # gid 1000, to see how an image's non-root ids land on disk and inside.
    $script:PlainTar = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-busybox.tar'
    $script:OwnedTar = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-busybox-owned.tar'
    if (-not (Test-Path $script:OwnedTar)) {
        $extra = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-owned'
        New-Item -ItemType Directory -Force -Path (Join-Path $extra 'owned') | Out-Null
        Set-Content -Path (Join-Path $extra 'owned/file') -Value 'uid 1000'
        # A name that is not UTF-8 (issue 15 item 6): its owner is set inside the namespace by name, too.
        & bash -c 'echo x > "$1/owned/"$''\xff''' _ $extra
        & chown -R 1000:1000 (Join-Path $extra 'owned')
        & tar -cf $script:PlainTar -C $script:BusyboxRootfs .
        & tar -cf $script:OwnedTar -C $script:BusyboxRootfs . -C $extra ./owned
        & chmod 0644 $script:PlainTar $script:OwnedTar
        & rm -rf -- $extra   # Remove-Item cannot name the 0xFF file
    }
}

Describe 'Rootless test harness' -Tag Rootless {
    It 'creates a user with its own subordinate range, runs pwsh with PodShell as it, and removes every trace' -Skip:(-not $script:CanCreateUsers) {
        $u = New-RootlessTestUser -Prefix psth
        $removed = $false
        try {
            $u.Name | Should -Match '^psth[0-9a-f]{6}$'
            $u.Home | Should -BeLike "$env:PODSHELL_TEST_ROOT/*"
            $u.SubIdCount | Should -Be 65536
            @(Get-Content /etc/subuid) | Should -Contain "$($u.Name):$($u.SubUidStart):65536"
            @(Get-Content /etc/subgid) | Should -Contain "$($u.Name):$($u.SubGidStart):65536"
            # The new range overlaps none of the others.
            foreach ($file in '/etc/subuid', '/etc/subgid') {
                $others = @(Get-SubIdRange $file | Where-Object Owner -ne $u.Name)
                $others | Where-Object { $_.Start -lt $u.SubUidStart + 65536 -and $u.SubUidStart -lt $_.Start + $_.Count } | Should -BeNullOrEmpty
            }

            $r = Invoke-AsRootlessUser -User $u -Environment @{ PSTH_PASSED = 'yes' } -Script @'
[pscustomobject]@{
    Uid          = [int] (& id -u)
    Module       = (Get-Module PodShell).Name
    Cmdlets      = @(Get-Command -Module PodShell).Count
    Home         = $env:HOME
    Variables    = @(Get-ChildItem env: | ForEach-Object Name)
    Passed       = $env:PSTH_PASSED
}
Write-Warning 'a warning'
Write-Error 'an error' -ErrorId 'HarnessError'
exit 4
'@
            $r.ExitCode | Should -Be 4
            $o = $r.Output[0]
            $o.Uid | Should -Be $u.Uid
            $o.Module | Should -Be 'PodShell'
            $o.Cmdlets | Should -BeGreaterThan 30
            $o.Home | Should -Be $u.Home
            $o.Passed | Should -Be 'yes'
            @($o.Variables | Where-Object { $_ -like 'PODSHELL_*' }) | Should -BeNullOrEmpty
            $r.Warnings | Should -Be @('a warning')
            $r.Errors.ErrorId | Should -Be @('HarnessError')

            # A terminating error ends the script with exit code 1 and is marked as such.
            $t = Invoke-AsRootlessUser -User $u -Script 'throw "stop here"'
            $t.ExitCode | Should -Be 1
            $t.Errors[0].Terminating | Should -BeTrue
            $t.Errors[0].Message | Should -Be 'stop here'

            # A process the user leaves running (as the engine's pause process does) is ended on removal.
            & setpriv "--reuid=$($u.Uid)" "--regid=$($u.Gid)" --init-groups -- /bin/sh -c 'sleep 600 </dev/null >/dev/null 2>&1 &'
            @(Get-RootlessUserProcessId $u) | Should -Not -BeNullOrEmpty

            $problems = @(Remove-RootlessTestUser -User $u)
            $removed = $true
            $problems | Should -BeNullOrEmpty
            @(Get-RootlessUserProcessId $u) | Should -BeNullOrEmpty
            & getent passwd $u.Name | Should -BeNullOrEmpty
            Test-Path $u.Home | Should -BeFalse
            @(Get-Content /etc/subuid) -like "$($u.Name):*" | Should -BeNullOrEmpty
            @(Get-Content /etc/subgid) -like "$($u.Name):*" | Should -BeNullOrEmpty
        }
        finally {
            if (-not $removed) { Remove-RootlessTestUser -User $u | Out-Null }
        }
    }
}

Describe 'Rootless' -Tag Rootless -Skip:(-not $script:CanCreateUsers) {
    BeforeAll {
        $script:U1 = New-RootlessTestUser
        $script:U2 = New-RootlessTestUser
        $script:Graph1 = Join-Path $script:U1.Home '.local/share/podshell'
        $script:Graph2 = Join-Path $script:U2.Home '.local/share/podshell'

        # The users' images: U1 the busybox with /owned of uid 1000, U2 the plain one under another name.
        $script:Import1 = Invoke-AsRootlessUser -User $script:U1 -Script (@'
$image = Import-ContainerImage -Path '%TAR%' -Name busybox
[pscustomobject]@{ Image = $image; Layer = Get-OverlayLayer -Image busybox; Images = @(Get-ContainerImage) }
'@.Replace('%TAR%', $script:OwnedTar))
        $script:Import2 = Invoke-AsRootlessUser -User $script:U2 -Script (@'
$image = Import-ContainerImage -Path '%TAR%' -Name second-user-image
$c = New-Container second-user-image -Name second-user-box -Network none -- sleep 600
[pscustomobject]@{ Image = $image; Layer = Get-OverlayLayer -Image second-user-image; Container = $c }
'@.Replace('%TAR%', $script:PlainTar))
    }

    AfterAll {
        $problems = @()
        foreach ($u in $script:U1, $script:U2) {
            if ($u) { $problems += @(Remove-RootlessTestUser -User $u) }
        }
        foreach ($u in $script:U1, $script:U2) {
            if ($u -and (@(Get-Content /etc/subuid, /etc/subgid) -like "$($u.Name):*")) { $problems += "subordinate ids of $($u.Name) still listed" }
        }
        if ($problems.Count -gt 0) { throw "rootless clean-up: $($problems -join '; ')" }
    }

    It 'imports an image as the user into ~/.local/share/podshell, with image ids shifted into the user''s range' {
        Format-CallError $script:Import1 | Should -BeNullOrEmpty
        $layer = $script:Import1.Output[0].Layer
        $layer.DiffDir | Should -BeLike "$script:Graph1/*"
        # Image root is the user on disk; image uid 1000 is subordinate id 999 of the range.
        Get-FileOwner (Join-Path $layer.DiffDir 'bin/busybox') | Should -Be $script:U1.Uid
        Get-FileOwner (Join-Path $layer.DiffDir 'owned/file') | Should -Be ($script:U1.SubUidStart + 999)
        [long] (& stat -c %g -- (Join-Path $layer.DiffDir 'owned/file')) | Should -Be ($script:U1.SubGidStart + 999)
        [long] (& bash -c 'stat -c %u -- "$1/owned/"$''\xff''' _ $layer.DiffDir) | Should -Be ($script:U1.SubUidStart + 999)
    }

    Context 'a running container of the user' {
        BeforeAll {
            $script:Run = Invoke-AsRootlessUser -User $script:U1 -Script @'
$c = New-Container busybox -Name rootless-main -Network none -- sleep 600
$c | Start-Container
Invoke-ContainerCommand rootless-main -- sh -c 'echo from-inside > /root/written.txt'
[pscustomobject]@{
    Container = Get-Container rootless-main
    Id        = @(Invoke-ContainerCommand rootless-main -- id -u)
    UidMap    = @(Invoke-ContainerCommand rootless-main -- cat /proc/self/uid_map)
    GidMap    = @(Invoke-ContainerCommand rootless-main -- cat /proc/self/gid_map)
    Owned     = @(Invoke-ContainerCommand rootless-main -- stat -c '%u %g' /owned/file)
    NetDev    = @(Invoke-ContainerCommand rootless-main -- cat /proc/net/dev)
    Layer     = Get-OverlayLayer -Container rootless-main | Where-Object Kind -eq 'Container'
    Namespace = @(Get-ContainerNamespace rootless-main)
}
'@
            $script:Main = $script:Run.Output[0]
        }

        It 'runs without errors' {
            Format-CallError $script:Run | Should -BeNullOrEmpty
        }
        It 'is root inside: id -u prints 0, and uid_map/gid_map map 0 to the user and 1.. to the range' {
            $script:Main.Id | Should -Be '0'
            $maps = { param($lines) @($lines | ForEach-Object { ($_.Trim() -split '\s+') -join ' ' }) }
            & $maps $script:Main.UidMap | Should -Be @("0 $($script:U1.Uid) 1", "1 $($script:U1.SubUidStart) 65536")
            & $maps $script:Main.GidMap | Should -Be @("0 $($script:U1.Gid) 1", "1 $($script:U1.SubGidStart) 65536")
        }
        It 'says so on the object: Rootless is true' {
            $script:Main.Container.Rootless | Should -BeTrue
            $script:Main.Container.State | Should -Be 'Running'
        }
        It 'runs the container''s process as the user on the host' {
            $containerPid = $script:Main.Container.Pid
            $containerPid | Should -BeGreaterThan 0
            $uids = ((Get-Content "/proc/$containerPid/status") -match '^Uid:') -split '\s+'
            @($uids[1..4] | ForEach-Object { [long] $_ }) | Should -Be (@([long] $script:U1.Uid) * 4)
        }
        It 'writes a file from inside into the upper dir in the user''s graph root, owned by the user' {
            $upper = $script:Main.Layer.UpperDir
            $upper | Should -BeLike "$script:Graph1/overlay/*"
            $upper | Should -BeLike "*/diff"
            $file = Join-Path $upper 'root/written.txt'
            Get-Content $file | Should -Be 'from-inside'
            Get-FileOwner $file | Should -Be $script:U1.Uid
        }
        It 'shows an image file of uid 1000 as 1000 inside' {
            $script:Main.Owned | Should -Be '1000 1000'
        }
        It 'shows the user namespace and its maps in Get-ContainerNamespace' {
            $user = $script:Main.Namespace | Where-Object Type -eq 'user'
            $user | Should -HaveCount 1
            $user.SharedWithHost | Should -BeFalse
            $user.UidMap | Should -Be @("0 $($script:U1.Uid) 1", "1 $($script:U1.SubUidStart) 65536")
            $user.GidMap | Should -Be @("0 $($script:U1.Gid) 1", "1 $($script:U1.SubGidStart) 65536")
            ($script:Main.Namespace | Where-Object Type -eq 'net').SharedWithHost | Should -BeFalse
        }
        It 'has only lo with -Network none' {
            $devices = @($script:Main.NetDev | Select-Object -Skip 2 | ForEach-Object { ($_ -split ':')[0].Trim() })
            $devices | Should -Be @('lo')
        }
        It 'keeps the overlay mount out of the host''s mount namespace' {
            $script:Main.Layer.UpperDir | Should -Not -BeNullOrEmpty
            @(Get-Content /proc/self/mountinfo) -like "*$($script:Main.Layer.UpperDir)*" | Should -BeNullOrEmpty
            # It is in the namespace of a process of the user (the pause process keeps it).
            @(Get-RootlessUserMount @($script:Main.Layer.UpperDir) | Where-Object { $_.Pid -in @(Get-RootlessUserProcessId $script:U1) }) |
                Should -Not -BeNullOrEmpty
        }
        It 'removes the container without leaving a process, mount, layer or record behind' {
            $c = $script:Main.Container
            $layerDir = Split-Path $script:Main.Layer.UpperDir
            Test-Path $layerDir | Should -BeTrue
            $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
Remove-Container rootless-main -Force -Confirm:$false
[pscustomobject]@{
    Containers = @(Get-Container)
}
Get-Container rootless-main -ErrorAction Continue
'@
            @($r.Errors | Where-Object ErrorId -ne 'ContainerNotFound') | Should -BeNullOrEmpty -Because (Format-CallError $r)
            $r.Errors.ErrorId | Should -Be @('ContainerNotFound')
            $r.Output[0].Containers | Should -BeNullOrEmpty
            Test-Path "/proc/$($c.Pid)" | Should -BeFalse
            Test-Path $layerDir | Should -BeFalse
            # Nothing of the user's but its pause process: no conmon, no process naming the container.
            foreach ($p in Get-RootlessUserProcessId $script:U1) {
                $cmd = (Get-Content "/proc/$p/cmdline" -Raw -ErrorAction Ignore) -replace "`0", ' '
                $cmd | Should -Not -Match "conmon|$($c.Id)" -Because "pid $p ($cmd) is left"
            }
            @(Get-RootlessUserMount @($c.Id, $layerDir)) | Should -BeNullOrEmpty
        }
    }

    It 'stops, starts, execs in and reads the logs of a container as the user' {
        $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
$c = New-Container busybox -Name rootless-life -Network none -- sh -c 'echo started; exec sleep 600'
try {
    $c | Start-Container
    $exec1 = Invoke-ContainerCommand rootless-life -- echo exec-one
    $c | Stop-Container -Timeout 2
    $stopped = (Get-Container rootless-life).State
    $c | Start-Container
    $exec2 = Invoke-ContainerCommand rootless-life -- echo exec-two
    $running = (Get-Container rootless-life).State
    Start-Sleep -Milliseconds 300
    [pscustomobject]@{ Exec = @($exec1, $exec2); Stopped = $stopped; Running = $running; Log = @(Get-ContainerLog rootless-life | ForEach-Object Line) }
}
finally { Remove-Container rootless-life -Force -Confirm:$false }
'@
        Format-CallError $r | Should -BeNullOrEmpty
        $o = $r.Output[0]
        $o.Exec | Should -Be @('exec-one', 'exec-two')
        "$($o.Stopped)" | Should -Be 'Exited'
        "$($o.Running)" | Should -Be 'Running'
        @($o.Log | Where-Object { $_ -eq 'started' }) | Should -HaveCount 2
    }

    It 'runs with -Network host in the host''s network namespace' {
        $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
@(Invoke-Container busybox -AutoRemove -Network host -- cat /proc/net/dev)
'@
        Format-CallError $r | Should -BeNullOrEmpty
        $inside = @($r.Output | Select-Object -Skip 2 | ForEach-Object { ($_ -split ':')[0].Trim() } | Sort-Object)
        $onHost = @(Get-Content /proc/net/dev | Select-Object -Skip 2 | ForEach-Object { ($_ -split ':')[0].Trim() } | Sort-Object)
        $inside | Should -Be $onHost
    }

    It 'warns that -Memory cannot be enforced on this host, creates the container, and says so in Get-ContainerCgroup' {
        $v2Delegated = (Test-Path /sys/fs/cgroup/cgroup.controllers) -and -not (Test-Path /sys/fs/cgroup/memory)
        if ($v2Delegated) { Set-ItResult -Skipped -Because 'this host has cgroup v2, where limits can be delegated'; return }
        $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
$c = New-Container busybox -Name rootless-mem -Network none -Memory 64MB -- sleep 60
try { $c | Start-Container; [pscustomobject]@{ Container = $c; Cgroup = Get-ContainerCgroup rootless-mem } }
finally { Remove-Container rootless-mem -Force -Confirm:$false }
'@
        Format-CallError $r | Should -BeNullOrEmpty
        $r.Warnings | Should -HaveCount 1
        $r.Warnings[0] | Should -Match 'memory|limit'
        $r.Output[0].Container.Name | Should -Be 'rootless-mem'
        $r.Output[0].Cgroup.LimitsEnforced | Should -BeFalse
        $r.Output[0].Cgroup.Note | Should -Not -BeNullOrEmpty
        # The record does not pretend either: no limit is shown that nothing enforces.
        $r.Output[0].Container.MemoryMax | Should -Be ([long]::MaxValue)
    }

    Context 'the user-mode network (slirp4netns, the rootless default)' -Skip:(-not (Test-Path /dev/net/tun)) {
        BeforeAll {
            # Distributions make /dev/net/tun 0666; this machine has 0600. Each test sets the mode it needs and the
            # original is put back in AfterAll.
            $script:TunMode = (& stat -c '%a' /dev/net/tun)
        }
        AfterAll { & chmod $script:TunMode /dev/net/tun }

        It 'publishes a port of a container on the default network to 127.0.0.1 of the host' {
            & chmod 0666 /dev/net/tun
            $port = Get-Random -Minimum 20000 -Maximum 29000
            $r = Invoke-AsRootlessUser -User $script:U1 -Script @"
`$c = New-Container busybox -Name rootless-web -Publish 127.0.0.1:${port}:80 -- sh -c 'mkdir -p /www; echo rootless-page > /www/index.html; exec httpd -f -p 80 -h /www'
try {
    `$c | Start-Container | Out-Null
    `$page = `$null
    foreach (`$i in 1..50) { try { `$page = (Invoke-WebRequest http://127.0.0.1:${port}/ -UseBasicParsing -TimeoutSec 2).Content; break } catch { Start-Sleep -Milliseconds 100 } }
    `$resolv = Invoke-ContainerCommand rootless-web -- cat /etc/resolv.conf
    [pscustomobject]@{ Container = Get-Container rootless-web; Page = `$page; Resolv = `$resolv }
}
finally { Remove-Container rootless-web -Force -Confirm:`$false }
"@
            Format-CallError $r | Should -BeNullOrEmpty
            $r.Output[0].Container.Network | Should -Be 'slirp4netns'
            $r.Output[0].Container.IPAddresses | Should -Be @('10.0.2.100')
            $r.Output[0].Page.Trim() | Should -Be 'rootless-page'
            ($r.Output[0].Resolv -join "`n") | Should -Match 'nameserver 10\.0\.2\.3'
            ($r.Output[0].Resolv -join "`n") | Should -Not -Match 'nameserver 127\.'
            # slirp4netns ended with the container: nothing of the user's is left but its pause process.
            foreach ($p in Get-RootlessUserProcessId $script:U1) {
                (Get-Content "/proc/$p/cmdline" -Raw -ErrorAction Ignore) -replace "`0", ' ' | Should -Not -Match 'slirp4netns|conmon|httpd'
            }
        }

        It 'refuses clearly, with nothing left running, when the user cannot open /dev/net/tun' {
            & chmod 0600 /dev/net/tun
            $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
$c = New-Container busybox -Name rootless-notun -- sleep 60
try { $c | Start-Container } finally { [pscustomobject]@{ State = (Get-Container rootless-notun).State }; Remove-Container rootless-notun -Force -Confirm:$false }
'@
            $r.Errors.ErrorId | Should -Contain 'UserModeNetworkUnavailable'
            $r.Output[0].State | Should -Be 'Created'
            foreach ($p in Get-RootlessUserProcessId $script:U1) {
                (Get-Content "/proc/$p/cmdline" -Raw -ErrorAction Ignore) -replace "`0", ' ' | Should -Not -Match 'slirp4netns|conmon'
            }
        }

        It 'refuses a bridge network with a clear error' {
            $r = Invoke-AsRootlessUser -User $script:U1 -Script 'New-Container busybox -Network mynet -- true'
            $r.Errors.ErrorId | Should -Be @('NetworkNotSupportedRootless')
        }
    }

    It 'looks inside and changes a rootless container with ids as the container sees them' {
        $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
$c = New-Container busybox -Name rootless-look -Network none -- sh -c 'mkdir /data; echo x > /data/root-file; echo y > /data/bob-file; chown 1000:1000 /data/bob-file; exec sleep 300'
try {
    $c | Start-Container | Out-Null
    foreach ($i in 1..50) { if ((Invoke-ContainerCommand rootless-look -- ls /data) -match 'bob-file') { break }; Start-Sleep -Milliseconds 100 }
    $procs = @(Get-ContainerProcess rootless-look)
    $stats = Get-ContainerStats rootless-look
    $changes = @(Get-ContainerChange rootless-look)
    Export-Container rootless-look -Path "$HOME/export.tar"
    $image = New-ContainerImage -Container rootless-look -Name rootless/commit
    $k = New-Container rootless/commit -Network none -- ls -ln /data
    $k | Start-Container | Out-Null
    Wait-Container $k.Name | Out-Null
    $committed = @(Get-ContainerLog $k.Name | ForEach-Object Line)
    Remove-Container $k.Name -Confirm:$false
    Remove-ContainerImage rootless/commit -Confirm:$false
    $exported = @(& tar --numeric-owner -tvf "$HOME/export.tar")
    Set-ContainerResource rootless-look -Memory 100MB -ErrorAction Continue
    Suspend-Container rootless-look -ErrorAction Continue
    [pscustomobject]@{ Processes = $procs; Stats = $stats; Changes = $changes; Exported = $exported; Committed = $committed; State = (Get-Container rootless-look).State }
}
finally { Remove-Container rootless-look -Force -Confirm:$false }
'@
        @($r.Errors | Where-Object ErrorId -notin 'LimitsNotEnforced', 'SuspendNotSupported') | Should -BeNullOrEmpty -Because (Format-CallError $r)
        $o = $r.Output[0]
        # Only the container's own processes (its PID namespace), named as the container names them.
        $o.Processes.Name | Should -Be @('sleep')
        $o.Processes[0].User | Should -Be 'root'
        $o.Processes[0].Uid | Should -Be 0
        $o.Stats.PidsCurrent | Should -Be 1
        $o.Stats.MemoryUsage | Should -BeGreaterThan 0
        $o.Stats.MemoryLimit | Should -Be ([long]::MaxValue)
        ($o.Changes | Where-Object Path -eq '/data/bob-file').Kind | Should -Be 'Added'
        # Tars carry the ids of the inside: root stays 0, uid 1000 stays 1000 (not the host's subordinate ids).
        ($o.Exported -match 'data/root-file') | Should -Match ' 0/0 '
        ($o.Exported -match 'data/bob-file') | Should -Match ' 1000/1000 '
        ($o.Committed -match 'root-file') | Should -Match '^\S+\s+\d+\s+0\s+0\s'
        ($o.Committed -match 'bob-file') | Should -Match '^\S+\s+\d+\s+1000\s+1000\s'
        # Without a cgroup of its own nothing can be limited or frozen, and it says so.
        $r.Errors.ErrorId | Should -Be @('LimitsNotEnforced', 'SuspendNotSupported')
        $o.State | Should -Be 'Running'
    }

    It 'falls back to fuse-overlayfs when asked (PODSHELL_ROOTLESS_OVERLAY), with users resolved and nothing left mounted' {
        # fuse-overlayfs needs /dev/fuse, which distributions make 0666; this machine has 0600. Put back after.
        $fuseMode = (& stat -c '%a' /dev/fuse)
        & chmod 0666 /dev/fuse
        try {
            $r = Invoke-AsRootlessUser -User $script:U1 -Environment @{ PODSHELL_ROOTLESS_OVERLAY = 'fuse-overlayfs' } -Script @'
$c = New-Container busybox -Name rootless-fuse -Network none -User nobody -- sh -c 'id -un; head -1 /proc/self/mountinfo; echo data > /tmp/fuse-file; sleep 300'
try {
    $c | Start-Container | Out-Null
    foreach ($i in 1..50) { if (@(Get-ContainerLog rootless-fuse).Count -ge 2) { break }; Start-Sleep -Milliseconds 100 }
    [pscustomobject]@{
        Log = @(Get-ContainerLog rootless-fuse | ForEach-Object Line)
        Exec = Invoke-ContainerCommand rootless-fuse -User root -- id -un
        Layer = Get-OverlayLayer -Container rootless-fuse | Select-Object -First 1
    }
}
finally { Remove-Container rootless-fuse -Force -Confirm:$false }
'@
        }
        finally { & chmod $fuseMode /dev/fuse }
        Format-CallError $r | Should -BeNullOrEmpty
        $o = $r.Output[0]
        $o.Log[0] | Should -Be 'nobody'
        $o.Log[1] | Should -Match ' / / .* - fuse\.fuse-overlayfs '
        $o.Exec | Should -Be 'root'
        $o.Layer.Mounted | Should -BeTrue
        Test-Path (Join-Path $o.Layer.UpperDir 'tmp/fuse-file') | Should -BeFalse -Because 'the container and its layer are removed'
        @(Get-RootlessUserMount @((Split-Path $o.Layer.UpperDir) + '/merged')) | Should -BeNullOrEmpty
    }

    It 'pushes from one user''s store to a registry on 127.0.0.1 and pulls into another''s, owners kept as inside ids' {
        . (Join-Path $PSScriptRoot 'RegistryServer.ps1')
        $reg = Start-TestRegistry
        try {
            $ref = "$($reg.Host)/rootless/owned:1"
            $push = Invoke-AsRootlessUser -User $script:U1 -Script "Publish-ContainerImage busybox '$ref' -Confirm:`$false"
            Format-CallError $push | Should -BeNullOrEmpty
            $pull = Invoke-AsRootlessUser -User $script:U2 -Script @"
`$img = Request-ContainerImage '$ref'
`$c = New-Container '$ref' -Network none -- sh -c 'stat -c "%u %g" /owned/file /bin/busybox'
`$c | Start-Container | Out-Null
Wait-Container `$c.Name | Out-Null
[pscustomobject]@{ Image = `$img; Owners = @(Get-ContainerLog `$c.Name | ForEach-Object Line) }
Remove-Container `$c.Name -Confirm:`$false
Remove-ContainerImage '$ref' -Confirm:`$false
"@
            Format-CallError $pull | Should -BeNullOrEmpty
            $pull.Output[0].Image.Names | Should -Contain $ref
            # The pushed layer said 1000 and 0 (not U1's host ids), and U2's store shifted them into U2's range.
            $pull.Output[0].Owners | Should -Be @('1000 1000', '0 0')
        }
        finally { Stop-TestRegistry $reg }
    }

    It 'gives the user a TTY shell in a rootless container with Enter-Container' {
        $tmux = Get-Command tmux -CommandType Application -ErrorAction Ignore
        $tmux | Should -Not -BeNullOrEmpty -Because 'build.ps1 Bootstrap installs tmux'
        $r = Invoke-AsRootlessUser -User $script:U1 -Script 'New-Container busybox -Name rootless-tty -Network none -- sleep 300 | Start-Container | Out-Null'
        Format-CallError $r | Should -BeNullOrEmpty
        $socket = "pst-rl-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script = Join-Path $script:U1.Home 'enter.ps1'
        Set-Content $script "Import-Module PodShell; Enter-Container rootless-tty; 'LEC=' + `$LASTEXITCODE; Start-Sleep 30"
        & chown "$($script:U1.Uid):$($script:U1.Gid)" $script
        function Get-Pane { (& tmux -L $socket capture-pane -p -t enter) -join "`n" }
        function Wait-Pane([string] $Pattern) {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ([DateTime]::UtcNow -lt $deadline) { if ((Get-Pane) -match $Pattern) { return $true }; Start-Sleep -Milliseconds 200 }
            $false
        }
        try {
            # tmux gives the terminal; setpriv makes the process the user, with a plain environment.
            & tmux -L $socket new-session -d -s enter -x 100 -y 30 `
                "cd '$($script:U1.Home)' && exec env -i HOME='$($script:U1.Home)' PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm LANG=C.UTF-8 /usr/bin/setpriv --reuid=$($script:U1.Uid) --regid=$($script:U1.Gid) --init-groups -- '$script:RootlessDotnet' '$(Join-Path $script:U1.PwshHome 'pwsh.dll')' -NoProfile -File '$script'"
            Wait-Pane '/ #' | Should -BeTrue -Because (Get-Pane)
            & tmux -L $socket send-keys -t enter 'id -u; echo rootless-$((6*7)); tty' Enter
            Wait-Pane 'rootless-42' | Should -BeTrue -Because (Get-Pane)
            Get-Pane | Should -Match '(?m)^0\s*$'
            Get-Pane | Should -Match '/dev/pts/\d+'
            & tmux -L $socket send-keys -t enter C-d
            Wait-Pane 'LEC=0' | Should -BeTrue -Because (Get-Pane)
        }
        finally {
            & tmux -L $socket kill-server 2>$null
            Invoke-AsRootlessUser -User $script:U1 -Script 'Remove-Container rootless-tty -Force -Confirm:$false' | Out-Null
        }
    }

    It 'keeps two users'' stores apart' {
        Format-CallError $script:Import2 | Should -BeNullOrEmpty
        $script:Import2.Output[0].Layer.DiffDir | Should -BeLike "$script:Graph2/*"
        $script:Graph1 | Should -Not -Be $script:Graph2
        $query = @'
[pscustomobject]@{ Containers = @(Get-Container | ForEach-Object Name); Images = @(Get-ContainerImage | ForEach-Object { $_.Names }) }
'@
        $one = Invoke-AsRootlessUser -User $script:U1 -Script ($query + "`nGet-Container second-user-box -ErrorAction Continue")
        $two = Invoke-AsRootlessUser -User $script:U2 -Script ($query + "`nGet-ContainerImage -Name busybox -ErrorAction Continue")
        $one.Output[0].Containers | Should -Not -Contain 'second-user-box'
        $one.Output[0].Images | Should -Not -Contain 'second-user-image:latest'
        $one.Output[0].Images | Should -Contain 'busybox:latest'
        $one.Errors.ErrorId | Should -Be @('ContainerNotFound')
        $two.Output[0].Containers | Should -Be @('second-user-box')
        $two.Output[0].Images | Should -Be @('second-user-image:latest')
        $two.Errors.ErrorId | Should -Be @('ImageNotFound')
        # And neither store is root's: root's run does not see the users' containers.
        (Get-Container | ForEach-Object Name) | Should -Not -Contain 'second-user-box'
    }

    It 'gives the same ErrorIds as root for bad input' {
        $r = Invoke-AsRootlessUser -User $script:U1 -Script @'
New-Container no-such-image -Network none -- true
Get-Container no-such-container
Remove-ContainerImage no-such-image -Confirm:$false
'@
        $asRoot = @(
            foreach ($call in { New-Container no-such-image -Network none -- true }, { Get-Container no-such-container }, { Remove-ContainerImage no-such-image -Confirm:$false }) {
                try { $ErrorActionPreference = 'Stop'; & $call | Out-Null; '' } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
            })
        $asRoot | Should -Be @('ImageNotFound', 'ContainerNotFound', 'ImageNotFound')
        $r.Errors.ErrorId | Should -Be $asRoot
    }
}
