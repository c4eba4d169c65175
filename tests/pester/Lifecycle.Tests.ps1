BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # The freezer as the kernel shows it: freezer.state (FROZEN/THAWED) on v1, cgroup.freeze (1/0) on v2.
    function Get-FreezerState([int] $ProcessId) {
        if (Test-CgroupV2) { @{ '1' = 'FROZEN'; '0' = 'THAWED' }[(Get-Content "$(Get-CgroupDirectory $ProcessId 'freezer')/cgroup.freeze")] }
        else { Get-Content "$(Get-CgroupDirectory $ProcessId 'freezer')/freezer.state" }
    }
}

Describe 'Restart, signals and pause' {
    It 'Restart-Container gives the container a new process' {
        $c = New-Container busybox -Name (New-TestName 'rs') sleep infinity | Start-Container -PassThru
        try {
            $r = $c | Restart-Container -Timeout 1 -PassThru
            $r.State | Should -Be 'Running'
            $r.Pid | Should -Not -Be $c.Pid
            Test-Path "/proc/$($c.Pid)" | Should -BeFalse
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Send-ContainerSignal sends any signal and exit codes follow 128+n' {
        $c = New-Container busybox -Name (New-TestName 'kill') -- sh -c 'trap "exit 10" USR1; while true; do sleep 0.1; done' | Start-Container -PassThru
        try {
            Start-Sleep -Milliseconds 300
            $c | Send-ContainerSignal -Signal USR1
            $c | Wait-Container | Should -Be 10
            $d = New-Container busybox -Name (New-TestName 'kill9') sleep infinity | Start-Container -PassThru
            $d | Send-ContainerSignal
            $d | Wait-Container | Should -Be 137
            $d | Remove-Container -Confirm:$false
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Suspend-Container freezes the cgroup and Resume-Container thaws it' {
        $c = New-Container busybox -Name (New-TestName 'frz') sleep infinity | Start-Container -PassThru
        try {
            $p = $c | Suspend-Container -PassThru
            $p.State | Should -Be 'Paused'
            (Get-Container -Id $c.Id).State | Should -Be 'Paused'
            Get-FreezerState $c.Pid | Should -Be 'FROZEN'
            ($c | Resume-Container -PassThru).State | Should -Be 'Running'
            Get-FreezerState $c.Pid | Should -Be 'THAWED'
            $c | Suspend-Container
            # a paused container can still be stopped: it is thawed first
            ($c | Stop-Container -Timeout 1 -PassThru).State | Should -Be 'Exited'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Wait-Container -Condition waits for a state and -Timeout gives up with WaitTimeout' {
        $c = New-Container busybox -Name (New-TestName 'cond') sleep infinity
        try {
            { $c | Wait-Container -Condition Running -Timeout 1 -ErrorAction Stop } | Should -Throw -ErrorId 'WaitTimeout,PodShell.WaitContainerCommand'
            $c | Start-Container
            ($c | Wait-Container -Condition Running -PassThru -Timeout 10).State | Should -Be 'Running'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
}

Describe 'Auto-remove and init' {
    It '-AutoRemove removes the container when it exits, and Wait-Container still returns the code' {
        $c = New-Container busybox -Name (New-TestName 'rm') -AutoRemove -- sh -c 'exit 4' | Start-Container -PassThru
        $c | Wait-Container | Should -Be 4
        Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-Content /proc/self/mountinfo) -like "*$($c.Id)*" | Should -BeNullOrEmpty
        Test-Path $c.BundlePath | Should -BeFalse
    }
    It '-Init runs catatonit as PID 1 that forwards the stop signal' {
        $c = New-Container busybox -Name (New-TestName 'init') -Init sleep infinity | Start-Container -PassThru
        try {
            (Get-Content "/proc/$($c.Pid)/comm") | Should -Be 'podshell-init'
            $ps = Invoke-ContainerCommand $c.Id ps
            ($ps -join "`n") | Should -Match '\b1 root\s+/run/podshell-init'
            # sleep ignores nothing: catatonit forwards SIGTERM, so no SIGKILL is needed
            $stopped = $c | Stop-Container -Timeout 10 -PassThru
            $stopped.ExitCode | Should -Be 143
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
}

Describe 'Truthful state' {
    It 'a process over its memory limit is OOM-killed: Exited, OomKilled, 137' {
        $c = New-Container busybox -Name (New-TestName 'oom') -Memory 16MB -- sh -c 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done' | Start-Container -PassThru
        try {
            $c | Wait-Container -Timeout 60 | Should -Be 137
            $after = Get-Container -Id $c.Id
            $after.State | Should -Be 'Exited'
            $after.OomKilled | Should -BeTrue
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'records the exit code and time of a container that exits after the pwsh that started it has ended' {
        $n = New-TestName 'late'
        & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command "Import-Module '$env:PODSHELL_MODULE_PATH'; New-Container busybox -Name $n -- sh -c 'sleep 1; exit 5' | Start-Container"
        $LASTEXITCODE | Should -Be 0
        (Get-Container $n).State | Should -Be 'Running'
        Wait-Container $n -Timeout 30 | Should -Be 5
        $c = Get-Container $n
        $c.ExitCode | Should -Be 5
        $c.FinishedAt | Should -BeGreaterThan $c.StartedAt
        $c | Remove-Container -Confirm:$false
    }
    It 'after a reboot (the run root wiped) running containers show as exited and can be started again or removed' {
        $a = New-Container busybox -Name (New-TestName 'boot') sleep infinity | Start-Container -PassThru
        $b = New-Container busybox -Name (New-TestName 'boot') sleep infinity | Start-Container -PassThru
        # A reboot takes the run root's tmpfs and its mounts (the netns files) with it.
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -like "$env:PODSHELL_RUNROOT/*" } |
            ForEach-Object { & umount -l $_ }
        Remove-Item -Recurse -Force $env:PODSHELL_RUNROOT
        $all = Get-Container -Id $a.Id, $b.Id
        $all.State | Sort-Object -Unique | Should -Be 'Exited'
        # nothing of the old runs survives: processes, mounts
        Test-Path "/proc/$($a.Pid)" | Should -BeFalse
        Test-Path "/proc/$($b.Pid)" | Should -BeFalse
        (Get-Content /proc/self/mountinfo) -like "*$($a.Id)*" | Should -BeNullOrEmpty
        # nor its network: the address is free again and no firewall rule names it
        $a.IPAddress | Should -Not -BeNullOrEmpty
        (& iptables-save) -join "`n" | Should -Not -Match ([regex]::Escape($a.IPAddress + '/'))
        ($a | Start-Container -PassThru).State | Should -Be 'Running'
        $a | Remove-Container -Force -Confirm:$false
        $b | Remove-Container -Confirm:$false
        Get-Container -Id $a.Id, $b.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-Container (podman run)' {
    It 'runs attached: stdout as strings, stderr as errors, the exit code in $LASTEXITCODE' {
        $n = New-TestName 'run'
        $out = Invoke-Container busybox -Name $n -ErrorVariable ev -ErrorAction SilentlyContinue -- sh -c 'echo one; echo two; echo bad >&2; exit 6'
        $out | Should -Be @('one', 'two')
        $LASTEXITCODE | Should -Be 6
        $ev.FullyQualifiedErrorId | Should -Contain 'ContainerStderr,PodShell.InvokeContainerCommand'
        $ev.FullyQualifiedErrorId | Should -Contain 'ContainerFailed,PodShell.InvokeContainerCommand'
        (Get-Container $n).ExitCode | Should -Be 6
        Remove-Container $n -Confirm:$false
    }
    It 'writes stderr as a native command does: under ErrorActionPreference Stop a stderr line does not throw (issue 20 item 3)' {
        $ErrorActionPreference = 'Stop'
        $ev = $null
        $out = Invoke-Container busybox -AutoRemove -ErrorVariable ev -- sh -c 'echo one; echo bad >&2; sleep 0.2; echo two'
        $out | Should -Be @('one', 'two')
        $LASTEXITCODE | Should -Be 0
        $ev.FullyQualifiedErrorId | Should -Be 'ContainerStderr,PodShell.InvokeContainerCommand'
        "$($ev[0])" | Should -Be 'bad'
        $merged = @(Invoke-Container busybox -AutoRemove -ErrorAction Stop -- sh -c 'echo bad >&2; sleep 0.2; echo two' 2>&1)
        $merged.Count | Should -Be 2
        $merged[0] | Should -BeOfType System.Management.Automation.ErrorRecord
        "$($merged[0])" | Should -Be 'bad'
        $merged[1] | Should -Be 'two'
        # A non-zero exit is the failure, and that follows the preference; -AutoRemove still removes the container.
        $n = New-TestName 'runstop'
        { Invoke-Container busybox -Name $n -AutoRemove -- sh -c 'echo bad >&2; exit 5' 2>$null } |
            Should -Throw -ErrorId 'ContainerFailed,PodShell.InvokeContainerCommand'
        $LASTEXITCODE | Should -Be 5
        Get-Container $n -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It '-AutoRemove keeps the output of a fast container and removes it afterwards' {
        $n = New-TestName 'runrm'
        Invoke-Container busybox -Name $n -AutoRemove -- echo hello | Should -Be 'hello'
        $LASTEXITCODE | Should -Be 0
        Get-Container $n -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It '-Detach returns the running container at once' {
        $c = Invoke-Container busybox -Name (New-TestName 'rund') -Detach -Memory 64MB sleep infinity
        try {
            $c | Should -BeOfType PodShell.Container
            $c.State | Should -Be 'Running'
            $c.MemoryMax | Should -Be 64MB
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'is available as Run-Container' {
        (Get-Alias Run-Container).ResolvedCommandName | Should -Be 'Invoke-Container'
    }
}
