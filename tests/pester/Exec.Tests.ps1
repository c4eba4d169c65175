BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Poll a condition; tests assert on what happened, never on how long it took.
    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { return $false }
            Start-Sleep -Milliseconds 100
        }
        $true
    }
}

Describe 'Invoke-ContainerCommand: stdin, detach and exit codes' {
    BeforeAll {
        $script:name = New-TestName 'exec'
        $script:ctr = New-Container busybox -Name $script:name -- sleep infinity
        Start-Container $script:name
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'feeds piped strings to the process as standard input' {
        'a', 'b' | Invoke-ContainerCommand $script:name cat | Should -Be @('a', 'b')
        $LASTEXITCODE | Should -Be 0
        1..3 | Invoke-ContainerCommand $script:name -- sh -c 'wc -l' | ForEach-Object Trim | Should -Be '3'
    }

    It 'does not treat a piped Container object as input' {
        $out = Get-Container $script:name | Invoke-ContainerCommand -Command sh, -c, 'cat; echo end-of-input'
        $out | Should -Be 'end-of-input'
    }

    It 'sets $LASTEXITCODE and writes ContainerCommandFailed on a non-zero exit' {
        Invoke-ContainerCommand $script:name -ErrorVariable ev -ErrorAction SilentlyContinue -- sh -c 'exit 6'
        $LASTEXITCODE | Should -Be 6
        $ev.FullyQualifiedErrorId | Should -Contain 'ContainerCommandFailed,PodShell.InvokeContainerCommandCommand'
    }

    It 'applies -Environment, -WorkingDirectory and -User' {
        Invoke-ContainerCommand $script:name -Environment @{ GREETING = 'hi' } -WorkingDirectory /tmp -User 65534 -- sh -c 'echo $GREETING $(pwd) $(id -u)' |
            Should -Be 'hi /tmp 65534'
    }

    It 'returns at once with -Detach and reports the exit code later' {
        $marker = "/tmp/go-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $d = Invoke-ContainerCommand $script:name -Detach -- sh -c "echo started; while [ ! -e $marker ]; do sleep 1; done; exit 7"
        $d | Should -BeOfType PodShell.Engine.Runtime.DetachedExec
        $d.Pid | Should -BeGreaterThan 0
        $d.ExitCode | Should -BeNullOrEmpty
        $d.HasExited | Should -BeFalse
        Test-Path "/proc/$($d.Pid)" | Should -BeTrue

        Invoke-ContainerCommand $script:name -- sh -c ": > $marker"
        Wait-Until { $null -ne $d.ExitCode } | Should -BeTrue
        $d.ExitCode | Should -Be 7
        Get-Content $d.LogPath | Should -Match 'stdout F started'
        (Get-Container $script:name).State | Should -Be 'Running'
    }

    It 'refuses piped input with -Detach' {
        { 'x' | Invoke-ContainerCommand $script:name -Detach -ErrorAction Stop -- cat } |
            Should -Throw -ErrorId 'DetachWithInput,PodShell.InvokeContainerCommandCommand'
    }

    It 'writes stderr as a native command does: under ErrorActionPreference Stop a stderr line does not throw (issue 20 item 3)' {
        $ErrorActionPreference = 'Stop'
        $ev = $null
        $out = Invoke-ContainerCommand $script:name -ErrorVariable ev -- sh -c 'echo x; echo oops >&2; echo z'
        $out | Should -Be @('x', 'z')
        $LASTEXITCODE | Should -Be 0
        $ev.FullyQualifiedErrorId | Should -Be 'ContainerCommandStderr,PodShell.InvokeContainerCommandCommand'
        "$($ev[0])" | Should -Be 'oops'
        $ev[0].CategoryInfo.Category | Should -Be 'FromStdErr'
        # The error stream still carries it: 2>&1 merges it, 2>$null drops it, -ErrorAction Stop does not throw on it.
        $merged = Invoke-ContainerCommand $script:name -- sh -c 'echo oops >&2' 2>&1
        $merged | Should -BeOfType System.Management.Automation.ErrorRecord
        "$merged" | Should -Be 'oops'
        Invoke-ContainerCommand $script:name -ErrorAction Stop -- sh -c 'echo a; echo oops >&2' 2>$null | Should -Be 'a'
        # A non-zero exit is the failure, and that follows the preference.
        { Invoke-ContainerCommand $script:name -- sh -c 'echo oops >&2; exit 3' 2>$null } |
            Should -Throw -ErrorId 'ContainerCommandFailed,PodShell.InvokeContainerCommandCommand'
    }

    It 'leaves no exec monitor behind when the container is removed' {
        $n = New-TestName 'execrm'
        New-Container busybox -Name $n -- sleep infinity | Start-Container
        $d = Invoke-ContainerCommand $n -Detach -- sleep 1000
        $conmon = $d.ConmonPid
        Test-Path "/proc/$conmon" | Should -BeTrue
        Remove-Container $n -Force -Confirm:$false
        Wait-Until { -not (Test-Path "/proc/$conmon") -or (Get-Content "/proc/$conmon/stat" -Raw) -match '\) Z ' } | Should -BeTrue
    }
}

Describe 'Enter-Container' {
    BeforeAll {
        $script:name = New-TestName 'enter'
        New-Container busybox -Name $script:name -- sleep infinity | Start-Container
        $script:tmux = Get-Command tmux -CommandType Application -ErrorAction Ignore
        $script:socket = New-TestName 'podshell-tmux'
        $exe = (Get-Process -Id $PID).Path
        $script:pwsh = if ((Split-Path $exe -Leaf) -eq 'dotnet') { "'$exe' '$(Join-Path $PSHOME 'pwsh.dll')'" } else { "'$exe'" }

        function Get-Pane { (& tmux -L $script:socket capture-pane -p -t enter) -join "`n" }
        function Start-Enter([string] $Tail) {
            # A script file, so no quoting layer (tmux runs the command through sh) touches $LASTEXITCODE.
            $script:enterScript = Join-Path $env:PODSHELL_TEST_ROOT "$(New-TestName 'enter').ps1"
            Set-Content $script:enterScript "Import-Module '$env:PODSHELL_MODULE_PATH'; Enter-Container $script:name; 'LEC=' + `$LASTEXITCODE; $Tail"
            & tmux -L $script:socket new-session -d -s enter -x 100 -y 30 `
                -e "PODSHELL_GRAPHROOT=$env:PODSHELL_GRAPHROOT" -e "PODSHELL_RUNROOT=$env:PODSHELL_RUNROOT" `
                -e "PODSHELL_CGROUP_PARENT=$env:PODSHELL_CGROUP_PARENT" "$script:pwsh -NoProfile -File '$script:enterScript'"
        }
    }
    AfterAll {
        if ($script:tmux) { & tmux -L $script:socket kill-server 2>$null }
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'gives a TTY shell that follows window resizes and ends on Ctrl+D' {
        if (-not $script:tmux) { Set-ItResult -Skipped -Because 'tmux is not installed'; return }
        & tmux -L $script:socket kill-session -t enter 2>$null
        Start-Enter 'Start-Sleep 60'
        Wait-Until { (Get-Pane) -match '/ #' } | Should -BeTrue

        & tmux -L $script:socket send-keys -t enter 'tty; stty size' Enter
        Wait-Until { (Get-Pane) -match '30 100' } | Should -BeTrue
        Get-Pane | Should -Match '/dev/pts/\d+'

        & tmux -L $script:socket resize-window -t enter -x 120 -y 40
        & tmux -L $script:socket send-keys -t enter 'stty size' Enter
        Wait-Until { (Get-Pane) -match '40 120' } | Should -BeTrue

        & tmux -L $script:socket send-keys -t enter C-d
        Wait-Until { (Get-Pane) -match 'LEC=0' } | Should -BeTrue
    }

    It 'returns the shell exit code in $LASTEXITCODE' {
        if (-not $script:tmux) { Set-ItResult -Skipped -Because 'tmux is not installed'; return }
        & tmux -L $script:socket kill-session -t enter 2>$null
        Start-Enter 'Start-Sleep 60'
        Wait-Until { (Get-Pane) -match '/ #' } | Should -BeTrue
        & tmux -L $script:socket send-keys -t enter 'exit 5' Enter
        Wait-Until { (Get-Pane) -match 'LEC=5' } | Should -BeTrue
        & tmux -L $script:socket kill-session -t enter
        @(Get-ChildItem (Join-Path (Get-Container $script:name).BundlePath 'exec') -ErrorAction Ignore).Count | Should -Be 0
    }

    It 'refuses to run without a terminal' {
        { Enter-Container $script:name -ErrorAction Stop } | Should -Throw -ErrorId 'NotATerminal,PodShell.EnterContainerCommand'
    }
}

Describe 'Invoke-ContainerCommand -User by name' {
    It 'runs as a user named in the container''s /etc/passwd' {
        $c = New-Container busybox -Name (New-TestName 'exu') sleep infinity | Start-Container -PassThru
        try {
            Invoke-ContainerCommand $c.Id -User nobody -- id -u | Should -Be '65534'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
}
