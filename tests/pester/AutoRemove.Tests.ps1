BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # A child pwsh running one command with the module, its output collected; the caller ends it by pid.
    function Start-ChildPwsh([string] $Command) {
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$env:PODSHELL_MODULE_PATH'; $Command")) {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        [Diagnostics.Process]::Start($psi)
    }
    function Wait-Running([string] $Name, [Diagnostics.Process] $Process) {
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ([DateTime]::UtcNow -lt $deadline -and -not $Process.HasExited) {
            $c = Get-Container $Name -ErrorAction SilentlyContinue
            if ($c.State -eq 'Running') { return $c }
            Start-Sleep -Milliseconds 20
        }
    }
    # Get-Container (which folds an exit) until the container is gone, at most $Seconds.
    function Wait-Gone([string] $Name, [int] $Seconds = 15) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if (-not (Get-Container | Where-Object Name -EQ $Name)) { return $true }
            Start-Sleep -Milliseconds 100
        }
        $false
    }
}

Describe 'Invoke-Container -AutoRemove is recorded, not left to the client (issue 15 item 4)' {
    It 'removes the container of a pwsh killed mid-run once it exits' {
        $n = New-TestName 'rmkill'
        $p = Start-ChildPwsh "Invoke-Container busybox -Name $n -AutoRemove -- sleep 2"
        try {
            $c = Wait-Running $n $p
            $c | Should -Not -BeNullOrEmpty -Because 'the child started the container'
            $c.AutoRemove | Should -BeTrue
            & kill -KILL $p.Id
            $p.WaitForExit()
            Wait-Gone $n | Should -BeTrue -Because 'the exit of an -AutoRemove container removes it, whoever sees it'
            Test-Path (Join-Path $env:PODSHELL_GRAPHROOT "overlay/$($c.Id)") | Should -BeFalse
            Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$($c.Id)*" } | Should -BeNullOrEmpty
        }
        finally {
            if (-not $p.HasExited) { & kill -KILL $p.Id; $p.WaitForExit() }
            Get-Container $n -ErrorAction SilentlyContinue | Remove-Container -Force -Confirm:$false
        }
    }

    It 'leaves no container when its non-zero exit stops the pipeline (-ErrorAction Stop); a stderr line alone does not' {
        $n = New-TestName 'rmstop'
        { Invoke-Container busybox -Name $n -AutoRemove -ErrorAction Stop -- sh -c 'echo oops >&2; sleep 1; exit 2' 2>$null } |
            Should -Throw -ErrorId 'ContainerFailed,PodShell.InvokeContainerCommand'
        Wait-Gone $n | Should -BeTrue -Because 'the container was run with -AutoRemove'
    }

    It 'Ctrl+C (StopProcessing) passes SIGINT to the container, and its -AutoRemove container is gone once it exits' {
        $n = New-TestName 'rmctrlc'
        $ps = [powershell]::Create()
        try {
            $ps.AddScript("Import-Module '$env:PODSHELL_MODULE_PATH' -ErrorAction Stop").Invoke() | Out-Null
            $ps.Commands.Clear()
            $ps.AddScript("Invoke-Container busybox -Name $n -AutoRemove -- sh -c 'trap ""echo got-int >&2; exit 130"" INT; echo ready; while true; do sleep 0.1; done'") | Out-Null
            $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputData.Complete()
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $handle = $ps.BeginInvoke($inputData, $output)
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while ($output.Count -eq 0 -and -not $handle.IsCompleted -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            "$($output[0])" | Should -Be 'ready'
            $ps.Stop()
            # The trap ran (the container chose to exit 130), and the run let go of it: it is removed.
            Wait-Gone $n 30 | Should -BeTrue -Because 'the -AutoRemove container exits on SIGINT and is removed'
        }
        finally {
            $ps.Dispose()
            Get-Container $n -ErrorAction SilentlyContinue | Remove-Container -Force -Confirm:$false
        }
    }

    It 'keeps the container of a live attached client while other processes look, and the client gets all its output' {
        $n = New-TestName 'rmlook'
        $p = Start-ChildPwsh "Invoke-Container busybox -Name $n -AutoRemove -- sh -c 'sleep 1; echo late; sleep 1; echo later'"
        try {
            Wait-Running $n $p | Should -Not -BeNullOrEmpty
            # This pwsh folds the exit as soon as there is one; the child must still read both lines.
            while (-not $p.HasExited) { Get-Container | Out-Null; Start-Sleep -Milliseconds 20 }
            $p.StandardOutput.ReadToEnd() -split "`n" | ForEach-Object Trim | Where-Object { $_ } | Should -Be @('late', 'later')
            $p.ExitCode | Should -Be 0
            Get-Container | Where-Object Name -EQ $n | Should -BeNullOrEmpty
        }
        finally {
            if (-not $p.HasExited) { & kill -KILL $p.Id; $p.WaitForExit() }
        }
    }
}
