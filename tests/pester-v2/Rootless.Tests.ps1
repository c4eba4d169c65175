# Rootless with a delegated cgroup subtree (issue 14): the one place rootless limits are enforced. The guest has
# no systemd, so this file delegates as systemd's Delegate=yes does for user@<uid>.service: a cgroup owned by the
# user (directory, cgroup.procs, cgroup.subtree_control, cgroup.threads) with the controllers available, and the
# user's pwsh started in a scope below it. The user exists on the host side before the guest boots (the guest's
# /etc is the host's, read-only): Start-CgroupV2Guest.ps1 makes it and passes it in PODSHELL_V2_ROOTLESS_USER.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'V2Host.ps1')
    $script:NotV2 = Get-NotV2Reason
    if (-not $script:NotV2 -and -not ($env:PODSHELL_V2_ROOTLESS_USER -and (Test-Path $env:PODSHELL_V2_ROOTLESS_USER))) {
        $script:NotV2 = 'needs a test user made before the guest booted (PODSHELL_V2_ROOTLESS_USER; build/CgroupV2Guest/Start-CgroupV2Guest.ps1 makes one)'
    }
    if ($script:NotV2) { Write-Host "Skipping $([IO.Path]::GetFileName($PSCommandPath)): $script:NotV2" }
}

Describe 'Rootless in a delegated cgroup v2 subtree' -Skip:([bool] $NotV2) {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../pester/TestSetup.ps1')
        . (Join-Path $PSScriptRoot '../pester/RootlessUser.ps1')
        $u = Get-Content -Raw $env:PODSHELL_V2_ROOTLESS_USER | ConvertFrom-Json
        # The host made the home read-only for us; the user gets a writable one on the guest's tmpfs.
        $home_ = Join-Path $env:PODSHELL_TEST_ROOT "rootless-home/$($u.Name)"
        New-Item -ItemType Directory -Force $home_ | Out-Null
        & chmod 0755 $env:PODSHELL_TEST_ROOT (Split-Path $home_)
        & chown "$($u.Uid):$($u.Gid)" $home_
        $script:User = [pscustomobject]@{ Name = $u.Name; Uid = [int] $u.Uid; Gid = [int] $u.Gid; Home = $home_
            SubUidStart = [long] $u.SubUidStart; SubGidStart = [long] $u.SubGidStart; SubIdCount = [long] $u.SubIdCount
            PwshHome = $u.PwshHome; AddedLines = @(); Calls = 0 }

        # What systemd leaves for a user with Delegate=yes: user.slice/user-<uid>.slice/user@<uid>.service owned by
        # the user, every controller available in it; the session runs in a scope below (app.slice/pwsh.scope).
        $script:Slice = '/sys/fs/cgroup/user.slice'
        $script:Service = "$script:Slice/user-$($u.Uid).slice/user@$($u.Uid).service"
        $script:Scope = "$script:Service/app.slice/pwsh.scope"
        New-Item -ItemType Directory -Force $script:Scope | Out-Null
        $controllers = (Get-Content /sys/fs/cgroup/cgroup.controllers -Raw).Trim() -split ' ' | Where-Object { $_ -in 'cpu', 'io', 'memory', 'pids' }
        foreach ($d in $script:Slice, "$script:Slice/user-$($u.Uid).slice") {
            Set-Content "$d/cgroup.subtree_control" (($controllers | ForEach-Object { "+$_" }) -join ' ') -NoNewline
        }
        foreach ($d in $script:Service, "$script:Service/app.slice", $script:Scope) {
            & chown "$($u.Uid):$($u.Gid)" $d "$d/cgroup.procs" "$d/cgroup.subtree_control" "$d/cgroup.threads"
        }
        $script:Tar = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-busybox.tar'
        & tar -cf $script:Tar -C $script:BusyboxRootfs .
        & chmod 0644 $script:Tar

        # One pwsh as the user does everything (a pwsh start is the slow part in the guest).
        $script:R = Invoke-AsRootlessUser -User $script:User -Cgroup $script:Scope -TimeoutSeconds 1200 -Script (@'
$null = Import-ContainerImage -Path '%TAR%' -Name busybox
$limited = New-Container busybox -Name rl-limits -Network none -Memory 48MB -Cpus 0.5 -PidsLimit 30 -- sleep 600
Start-Container -Name rl-limits
$c = Get-Container -Name rl-limits
$cg = Get-ContainerCgroup -Name rl-limits
$line = (Get-Content "/proc/$($c.Pid)/cgroup" | Where-Object { $_.StartsWith('0::') }).Substring(3)
$files = @{}
foreach ($f in 'memory.max', 'cpu.max', 'pids.max') { $files[$f] = (Get-Content -Raw "/sys/fs/cgroup$line/$f").Trim() }
Remove-Container -Name rl-limits -Force -Confirm:$false
$removedDirGone = -not (Test-Path "/sys/fs/cgroup$line")
$null = New-Container busybox -Name rl-oom -Network none -Memory 32MB -- tail /dev/zero
Start-Container -Name rl-oom
$exit = Wait-Container -Name rl-oom -Timeout 600
$oom = Get-Container -Name rl-oom
Remove-Container -Name rl-oom -Force -Confirm:$false
[pscustomobject]@{ Limited = $c; Cgroup = $cg; KernelPath = $line; Files = $files; RemovedDirGone = $removedDirGone
    WaitExit = $exit; Oom = $oom }
'@).Replace('%TAR%', $script:Tar)
        $script:O = $script:R.Output | Select-Object -First 1
        $script:Why = (@($script:R.Errors | ForEach-Object { "$($_.ErrorId): $($_.Message)" }) + @($script:R.StdErr) + @($script:R.Warnings)) -join '; '
    }

    AfterAll {
        for ($i = 0; $i -lt 50; $i++) {
            $pids = @(Get-RootlessUserProcessId $script:User)
            if ($pids.Count -eq 0) { break }
            & kill -KILL @pids 2>$null
            Start-Sleep -Milliseconds 100
        }
        # Bottom up, as systemd removes a stopped user's cgroups; a directory left with processes fails the rmdir.
        foreach ($d in @(Get-ChildItem -Recurse -Directory $script:Slice -ErrorAction Ignore | Sort-Object { $_.FullName.Length } -Descending) + @(Get-Item $script:Slice -ErrorAction Ignore)) {
            [IO.Directory]::Delete($d.FullName)
        }
    }

    It 'runs the user''s calls without errors' {
        $script:R.ExitCode | Should -Be 0 -Because $script:Why
        $script:O | Should -Not -BeNullOrEmpty -Because $script:Why
        @($script:R.Warnings) | Should -BeNullOrEmpty -Because 'every limit is enforced in a delegated subtree: nothing to warn about'
    }

    It 'puts the container cgroup under the delegated subtree, with the limits in the kernel files' {
        $script:O.KernelPath | Should -Be "/user.slice/user-$($script:User.Uid).slice/user@$($script:User.Uid).service/podshell/$($script:O.Limited.Id)"
        $script:O.Files['memory.max'] | Should -Be '50331648'
        $script:O.Files['cpu.max'] | Should -Be '50000 100000'
        $script:O.Files['pids.max'] | Should -Be '30'
    }

    It 'reports the limits as enforced in Get-ContainerCgroup and on the container' {
        $script:O.Cgroup.LimitsEnforced | Should -BeTrue
        $script:O.Cgroup.MemoryMax | Should -Be 48MB
        $script:O.Cgroup.Cpus | Should -Be 0.5
        $script:O.Cgroup.PidsMax | Should -Be 30
        $script:O.Limited.MemoryMax | Should -Be 48MB
    }

    It 'removes the container''s cgroup with the container' {
        $script:O.RemovedDirGone | Should -BeTrue
    }

    It 'enforces memory.max: the container that outgrows 32 MB is OOM-killed (exit code 137)' {
        $script:O.WaitExit | Should -Be 137
        $script:O.Oom.ExitCode | Should -Be 137
        $script:O.Oom.OomKilled | Should -BeTrue
    }
}
