# The engine against a real cgroup v2 kernel (issue 14): limits the runtime writes and Get-ContainerCgroup reads
# back, stats, live limits, the freezer, OOM, kill and cleanup, shared namespaces. ./build.ps1 Test runs this
# file in a QEMU guest with a pure cgroup2 hierarchy (build/CgroupV2Guest); on any other host it skips.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'V2Host.ps1')
    $script:NotV2 = Get-NotV2Reason
    $script:Runtimes = @(foreach ($r in 'crun', 'runc') { if (Get-Command $r -CommandType Application -ErrorAction Ignore) { @{ Runtime = $r } } })
    if ($script:NotV2) { Write-Host "Skipping $([IO.Path]::GetFileName($PSCommandPath)): $script:NotV2" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'V2Host.ps1')
    if (-not (Get-NotV2Reason)) { . (Join-Path $PSScriptRoot '../pester/TestSetup.ps1') }
    # The container's cgroup directory, from the kernel: /proc/<pid>/cgroup's 0:: line under the v2 mount.
    function Get-CgroupDir([int] $ProcessId) {
        $line = Get-Content "/proc/$ProcessId/cgroup" | Where-Object { $_.StartsWith('0::') }
        '/sys/fs/cgroup' + $line.Substring(3)
    }
    function Read-CgroupFile([string] $Dir, [string] $Name) { (Get-Content -Raw (Join-Path $Dir $Name)).Trim() }
}

Describe 'Limits on cgroup v2 with <Runtime>' -Skip:([bool] $NotV2) -ForEach $Runtimes {
    BeforeAll {
        # Roots of its own per runtime: an engine picks its runtime once (PODSHELL_RUNTIME) for its roots.
        $script:Saved = @{ GraphRoot = $env:PODSHELL_GRAPHROOT; RunRoot = $env:PODSHELL_RUNROOT }
        $env:PODSHELL_RUNTIME = $Runtime
        $env:PODSHELL_GRAPHROOT = Join-Path $env:PODSHELL_TEST_ROOT "graph-$Runtime"
        $env:PODSHELL_RUNROOT = Join-Path $env:PODSHELL_TEST_ROOT "run-$Runtime"
        Import-ContainerImage -Path $script:BusyboxRootfs -Name busybox | Out-Null
        $script:Name = New-TestName 'v2lim'
        $script:Created = New-Container busybox -Name $script:Name -Network none -Memory 64MB -Cpus 0.5 -PidsLimit 100 -- sleep 600
        Start-Container -Name $script:Name
        $script:C = Get-Container -Name $script:Name
        $script:Dir = Get-CgroupDir $script:C.Pid
    }
    AfterAll {
        Remove-Container -Name $script:Name -Force -Confirm:$false -ErrorAction Ignore
        Remove-Item Env:PODSHELL_RUNTIME -ErrorAction Ignore
        $env:PODSHELL_GRAPHROOT = $script:Saved.GraphRoot
        $env:PODSHELL_RUNROOT = $script:Saved.RunRoot
    }

    It 'runs the container with the runtime asked for' {
        $script:C.Runtime | Should -Be $Runtime
        $script:C.State | Should -Be 'Running'
    }

    It 'puts the container in its own cgroup under the v2 mount, named after the parent and the id' {
        $script:Dir | Should -Be "/sys/fs/cgroup/$env:PODSHELL_CGROUP_PARENT/$($script:C.Id)"
        $cg = Get-ContainerCgroup -Name $script:Name
        $cg.Version | Should -Be 2
        $cg.Path | Should -Be "/$env:PODSHELL_CGROUP_PARENT/$($script:C.Id)"
        $cg.Directories['unified'] | Should -Be $script:Dir
        $cg.LimitsEnforced | Should -BeTrue
    }

    It 'has the limits written by the runtime in memory.max, cpu.max and pids.max, and Get-ContainerCgroup reads them back' {
        Read-CgroupFile $script:Dir 'memory.max' | Should -Be '67108864'
        Read-CgroupFile $script:Dir 'cpu.max' | Should -Be '50000 100000'
        Read-CgroupFile $script:Dir 'pids.max' | Should -Be '100'
        $cg = Get-ContainerCgroup -Name $script:Name
        $cg.MemoryMax | Should -Be 64MB
        $cg.CpuQuota | Should -Be 50000
        $cg.CpuPeriod | Should -Be 100000
        $cg.Cpus | Should -Be 0.5
        $cg.PidsMax | Should -Be 100
        $cg.PidsCurrent | Should -BeGreaterOrEqual 1
        $cg.MemoryCurrent | Should -BeGreaterThan 0
    }

    It 'changes memory.max, cpu.max and pids.max live with Set-ContainerResource' {
        Set-ContainerResource -Name $script:Name -Memory 128MB -Cpus 1.5 -PidsLimit 50
        Read-CgroupFile $script:Dir 'memory.max' | Should -Be '134217728'
        Read-CgroupFile $script:Dir 'cpu.max' | Should -Be '150000 100000'
        Read-CgroupFile $script:Dir 'pids.max' | Should -Be '50'
        $cg = Get-ContainerCgroup -Name $script:Name
        $cg.MemoryMax | Should -Be 128MB
        $cg.Cpus | Should -Be 1.5
        $cg.PidsMax | Should -Be 50
        (Get-Container -Name $script:Name).MemoryMax | Should -Be 128MB
    }

    It 'enforces pids.max: a fork beyond the limit fails inside the container' {
        Set-ContainerResource -Name $script:Name -PidsLimit 4
        # The container's sleep, the exec'd sh and two more at most: six background sleeps cannot all be forked.
        $out = Invoke-ContainerCommand $script:Name -ErrorAction SilentlyContinue -- sh -c 'exec 2>&1; for i in 1 2 3 4 5 6; do sleep 20 & done; echo all-forked'
        $text = $out -join "`n"
        ($text -match "can't fork" -or $text -notmatch 'all-forked') | Should -BeTrue -Because "the shell could not fork them all: $text"
        $events = Get-Content (Join-Path $script:Dir 'pids.events') | Where-Object { $_ -like 'max *' }
        [long] ($events -split ' ')[1] | Should -BeGreaterThan 0 -Because 'pids.events counts the forks refused at pids.max'
    }

    It 'freezes the cgroup with Suspend-Container (cgroup.freeze 1, State Paused) and thaws it with Resume-Container' {
        Suspend-Container -Name $script:Name
        Read-CgroupFile $script:Dir 'cgroup.freeze' | Should -Be '1'
        (Get-Content (Join-Path $script:Dir 'cgroup.events')) | Should -Contain 'frozen 1'
        (Get-Container -Name $script:Name).State | Should -Be 'Paused'
        Resume-Container -Name $script:Name
        Read-CgroupFile $script:Dir 'cgroup.freeze' | Should -Be '0'
        (Get-Content (Join-Path $script:Dir 'cgroup.events')) | Should -Contain 'frozen 0'
        (Get-Container -Name $script:Name).State | Should -Be 'Running'
    }

    It 'stops a paused container and leaves no cgroup directory after Remove-Container' {
        Suspend-Container -Name $script:Name
        Stop-Container -Name $script:Name -Timeout 0
        (Get-Container -Name $script:Name).State | Should -Be 'Exited'
        Remove-Container -Name $script:Name -Confirm:$false
        Test-Path $script:Dir | Should -BeFalse
    }
}

Describe 'Stats on cgroup v2' -Skip:([bool] $NotV2) {
    BeforeAll {
        $script:Name = New-TestName 'v2st'
        # The guest's virtual disk, ext4-formatted and mounted by guest.sh: an 8 MiB file written here and dropped
        # from the page cache, so the container's read of it is block I/O on that disk, charged to its cgroup.
        $script:DiskDir = $env:PODSHELL_V2_DISK
        $script:DiskNumbers = $null
        $volume = @{}
        if ($script:DiskDir -and (Test-Path $script:DiskDir)) {
            $source = (Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4] -eq $script:DiskDir } | Select-Object -First 1)
            $script:DiskNumbers = ($source -split ' ')[2]
            & dd if=/dev/urandom of="$script:DiskDir/fill" bs=1M count=8 status=none
            # Through sh: .NET opens the file with O_CREAT|O_TRUNC, which procfs refuses (access denied).
            & sh -c 'sync && echo 3 > /proc/sys/vm/drop_caches'
            $volume = @{ Volume = "$($script:DiskDir):/data:ro" }
        }
        # CPU work, 8 MiB of memory in a tmpfs file, and the 8 MiB file read from the disk.
        $script_ = 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; head -c 8388608 /dev/zero > /dev/shm/fill; ' +
            ($script:DiskNumbers ? 'cat /data/fill > /dev/null; ' : '') + 'echo ready; sleep 600'
        New-Container busybox -Name $script:Name -Network none -Memory 256MB @volume -- sh -c $script_ | Out-Null
        Start-Container -Name $script:Name
        $deadline = (Get-Date).AddSeconds(300)
        while (-not ((Get-ContainerLog -Name $script:Name) -match 'ready') -and (Get-Date) -lt $deadline) { Start-Sleep 1 }
        $script:C = Get-Container -Name $script:Name
        $script:Dir = Get-CgroupDir $script:C.Pid
    }
    AfterAll { Remove-Container -Name $script:Name -Force -Confirm:$false -ErrorAction Ignore }

    It 'reports memory from memory.current and memory.stat, and the limit from memory.max' {
        $s = Get-ContainerStats -Name $script:Name
        $s.MemoryLimit | Should -Be 256MB
        $s.MemoryUsage | Should -BeGreaterThan 8MB
        $stat = Get-Content (Join-Path $script:Dir 'memory.stat')
        $shmem = [long] (($stat | Where-Object { $_ -like 'shmem *' }) -split ' ')[1]
        $shmem | Should -BeGreaterOrEqual 8MB
        (Get-ContainerCgroup -Name $script:Name).Files['memory.stat'] | Should -Match 'shmem \d+'
    }

    It 'reports CPU time from cpu.stat usage_usec' {
        $s = Get-ContainerStats -Name $script:Name
        $usec = [long] ((Get-Content (Join-Path $script:Dir 'cpu.stat') | Where-Object { $_ -like 'usage_usec *' }) -split ' ')[1]
        $usec | Should -BeGreaterThan 0
        # Same counter, read a moment apart: the stats figure is the file's, in nanoseconds.
        $s.CpuUsage | Should -BeGreaterOrEqual ($usec * 1000 * 0.5)
        $s.CpuUsage | Should -BeLessOrEqual ($usec * 1000 + 5e9)
        $s.PidsCurrent | Should -BeGreaterOrEqual 1
    }

    It 'reports block reads from io.stat for the disk the container read' {
        if (-not $script:DiskNumbers) { Set-ItResult -Skipped -Because 'no ext4 file system on a virtual disk (PODSHELL_V2_DISK; guest.sh makes one)'; return }
        $ioStat = @(Get-Content (Join-Path $script:Dir 'io.stat'))
        $line = $ioStat | Where-Object { $_.StartsWith("$($script:DiskNumbers) ") }
        $line | Should -Not -BeNullOrEmpty -Because "io.stat has a line for the disk ($($script:DiskNumbers)): $ioStat"
        $line | Should -Match 'rbytes=\d+'
        # Pester's -Match does not set $Matches in this scope (it held a stale 0 from an earlier match): read the value here.
        [long] [regex]::Match($line, 'rbytes=(\d+)').Groups[1].Value | Should -BeGreaterOrEqual 8MB -Because "io.stat: $ioStat; log: $(Get-ContainerLog -Name $script:Name | Out-String)"
        (Get-ContainerStats -Name $script:Name).BlockInputBytes | Should -BeGreaterOrEqual 8MB
        (Get-ContainerCgroup -Name $script:Name).Files['io.stat'] | Should -Match ([regex]::Escape($script:DiskNumbers) + ' rbytes=')
    }
}

Describe 'OOM on cgroup v2' -Skip:([bool] $NotV2) {
    It 'records OomKilled and exit code 137 when the container outgrows memory.max' {
        $name = New-TestName 'v2oom'
        try {
            # tail keeps the whole "line" of /dev/zero in memory: it grows until the kernel kills it.
            New-Container busybox -Name $name -Network none -Memory 32MB -- tail /dev/zero | Out-Null
            Start-Container -Name $name
            Wait-Container -Name $name -Timeout 600 | Should -Be 137
            $c = Get-Container -Name $name
            $c.State | Should -Be 'Exited'
            $c.ExitCode | Should -Be 137
            $c.OomKilled | Should -BeTrue
        }
        finally { Remove-Container -Name $name -Force -Confirm:$false -ErrorAction Continue }
    }

    It 'does not call a container killed by a signal OOM-killed' {
        $name = New-TestName 'v2kill'
        try {
            New-Container busybox -Name $name -Network none -Memory 32MB -- sleep 600 | Out-Null
            Start-Container -Name $name
            Stop-Container -Name $name -Timeout 0
            $c = Get-Container -Name $name
            $c.ExitCode | Should -Be 137
            $c.OomKilled | Should -BeFalse
        }
        finally { Remove-Container -Name $name -Force -Confirm:$false -ErrorAction Continue }
    }
}

Describe 'Kill and cleanup on cgroup v2' -Skip:([bool] $NotV2) {
    It 'ends every process of a container in the host PID namespace (runc kill --all) and removes its cgroup' {
        $name = New-TestName 'v2all'
        try {
            New-Container busybox -Name $name -Network none -Pid host -- sh -c 'sleep 600 & sleep 600 & sleep 600 & wait' | Out-Null
            Start-Container -Name $name
            $c = Get-Container -Name $name
            $dir = Get-CgroupDir $c.Pid
            $deadline = (Get-Date).AddSeconds(120)
            while (@(Get-Content (Join-Path $dir 'cgroup.procs')).Count -lt 4 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 500 }
            $pids = @(Get-Content (Join-Path $dir 'cgroup.procs') | ForEach-Object { [int] $_ })
            $pids.Count | Should -BeGreaterOrEqual 4
            Stop-Container -Name $name -Timeout 0
            foreach ($p in $pids) { Test-Path "/proc/$p" | Should -BeFalse -Because "process $p was in the container's cgroup" }
            Test-Path $dir | Should -BeFalse
            Remove-Container -Name $name -Confirm:$false
            Test-Path $dir | Should -BeFalse
        }
        finally { Remove-Container -Name $name -Force -Confirm:$false -ErrorAction Ignore }
    }

    It 'runs a container in another one''s PID, IPC and network namespaces with a cgroup of its own' {
        $a = New-TestName 'v2a'; $b = New-TestName 'v2b'
        try {
            New-Container busybox -Name $a -Network none -Memory 64MB -- sleep 600 | Out-Null
            Start-Container -Name $a
            New-Container busybox -Name $b -Network "container:$a" -Pid "container:$a" -Ipc "container:$a" -Memory 48MB -- sleep 600 | Out-Null
            Start-Container -Name $b
            $ca = Get-Container -Name $a; $cb = Get-Container -Name $b
            foreach ($ns in 'pid', 'ipc', 'net') {
                # The link text, e.g. pid:[4026532187]: the same namespace has the same inode.
                (Get-Item -Force "/proc/$($cb.Pid)/ns/$ns").LinkTarget | Should -Be (Get-Item -Force "/proc/$($ca.Pid)/ns/$ns").LinkTarget
            }
            $dirA = Get-CgroupDir $ca.Pid; $dirB = Get-CgroupDir $cb.Pid
            $dirB | Should -Not -Be $dirA
            (Get-ContainerCgroup -Name $b).MemoryMax | Should -Be 48MB
            (Get-ContainerCgroup -Name $a).MemoryMax | Should -Be 64MB
            # b's processes are visible from a, in the shared PID namespace.
            (Invoke-ContainerCommand $a -- ps | Out-String) | Should -Match 'sleep 600[\s\S]*sleep 600'
            Stop-Container -Name $b -Timeout 0
            Test-Path $dirB | Should -BeFalse
            (Get-Container -Name $a).State | Should -Be 'Running'
            Remove-Container -Name $a -Force -Confirm:$false
            Test-Path $dirA | Should -BeFalse
        }
        finally {
            Remove-Container -Name $b -Force -Confirm:$false -ErrorAction Ignore
            Remove-Container -Name $a -Force -Confirm:$false -ErrorAction Ignore
        }
    }
}
