# Issue 9's per-phase trace as users see it: -Debug puts the engine's phases on the debug stream (5), and
# PODSHELL_TRACE=<file> appends them to a file. Only the presence of phases is checked, never their times.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Per-phase trace' {
    BeforeAll {
        $script:name = New-TestName 'trace'
        New-Container busybox -Name $script:name -Network none -- sleep 600 | Out-Null
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'Start-Container -Debug shows the mount, monitor and runtime phases, then a summary' {
        $debug = @(Start-Container $script:name -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        (Get-Container $script:name).State | Should -Be 'Running'
        $debug -match '^phase mount overlay \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        $debug -match '^phase\s+db \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        $debug -match '^phase monitor conmon \+ runtime create \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        $debug -match '^phase\s+monitor conmon \d+\.\d ms$' | Should -Not -BeNullOrEmpty   # the spawn, inside the phase above
        # runc's start is done in-process through its exec fifo: no runc process for it.
        $debug -match '^phase\s+runtime start \(exec fifo\) \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        # One summary per engine call: looking the name up, then the start itself.
        $summary = @($debug -match '^phases of Start-Container: total ')
        $summary.Count | Should -BeGreaterOrEqual 1
        $summary[-1] | Should -Match 'runtime 1x '
        $summary[-1] | Should -Match 'monitor 1x '
    }

    It 'Stop-Container -Timeout 0 -Debug shows the kill through a pidfd and the wait, and no runtime process' {
        $debug = @(Stop-Container $script:name -Timeout 0 -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        # As podman stop -t 0: no stop signal, SIGKILL straight away, sent in-process to the init.
        $debug -match '^phase\s+runtime kill \(pidfd\) \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        $debug -match '^phase\s+runtime runc ' | Should -BeNullOrEmpty
        $debug -match '^phase\s*wait exit file \d+\.\d ms$' | Should -Not -BeNullOrEmpty
        @($debug -match '^phases of Stop-Container: ')[-1] | Should -Match 'wait \dx '
    }

    It 'New-Container -Debug shows image resolve, mount and spec' {
        $other = New-TestName 'trace'
        try {
            $debug = @(New-Container busybox -Name $other -Network none -Debug -- true 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
            $debug -match '^phase\s*image-resolve \d+\.\d ms$' | Should -Not -BeNullOrEmpty
            $debug -match '^phase\s*mount layer \+ overlay \d+\.\d ms$' | Should -Not -BeNullOrEmpty
            $debug -match '^phase\s*spec \d+\.\d ms$' | Should -Not -BeNullOrEmpty
            $debug -match '^phase\s*runtime ' | Should -BeNullOrEmpty   # creating runs no runtime
        } finally {
            Remove-Container $other -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'Without -Debug nothing is written to the debug stream' {
        $debug = @(Get-Container $script:name 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] })
        $debug.Count | Should -Be 0
    }

    It 'PODSHELL_TRACE set to a path, in a new process, appends the phases of every call to that file' {
        $file = Join-Path $TestDrive 'trace.log'
        $pwsh = (Get-Process -Id $PID).Path
        $pre = @(if ((Split-Path $pwsh -Leaf) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $module = (Get-Module PodShell).Path
        $other = New-TestName 'trace'
        $env:PODSHELL_TRACE = $file
        try {
            & $pwsh @pre -NoProfile -NonInteractive -Command "Import-Module '$module'; Invoke-Container busybox -Name $other -AutoRemove -Network none -- true | Out-Null"
            $LASTEXITCODE | Should -Be 0
        } finally {
            Remove-Item Env:PODSHELL_TRACE
            Remove-Container $other -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
        $lines = @(Get-Content $file)
        $lines | Should -Not -BeNullOrEmpty
        $lines | ForEach-Object { $_ | Should -Match '^podshell-trace \d\d:\d\d:\d\d\.\d{3} pid=\d+ tid=\d+ +\S+' }
        $lines -match ' runtime start \(exec fifo\) ' | Should -Not -BeNullOrEmpty
        $lines -match ' cleanup ' | Should -Not -BeNullOrEmpty
    }
}
