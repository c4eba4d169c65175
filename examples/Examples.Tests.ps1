# Runs each example script for real against real containers and checks what it did.

BeforeAll {
    . (Join-Path $PSScriptRoot '../tests/pester/TestSetup.ps1')
    # Waits until $Condition holds (or the deadline passes) for state a container reaches on its own.
    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 30) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    }
}

Describe 'Get-ContainerMemoryPressure.ps1' {
    BeforeAll {
        $script:mp = New-TestName 'mem'
        # /dev/shm is a tmpfs private to the container (64 MiB); its pages are charged to the container's
        # memory cgroup and cannot be reclaimed (no swap), so 27 MiB written there keep a 32 MiB container
        # at about 85 % for as long as it runs.
        $script:hot = New-Container busybox -Name "$script:mp-hot" -Memory 32MB `
            sh '-c' 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=27 && echo filled; sleep infinity' | Start-Container -PassThru
        $script:cool = New-Container busybox -Name "$script:mp-cool" -Memory 64MB sleep infinity | Start-Container -PassThru
        $script:free = New-Container busybox -Name "$script:mp-free" sleep infinity | Start-Container -PassThru
        $script:stopped = New-Container busybox -Name "$script:mp-stopped" -Memory 8MB sleep 1
        Wait-Until { Get-ContainerLog -Id $script:hot.Id -ErrorAction SilentlyContinue | Where-Object Line -EQ 'filled' }
    }
    AfterAll {
        Get-Container "$script:mp-*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
    It 'the full container really is above 80 % (the fixture)' {
        $cg = Get-ContainerCgroup -Id $script:hot.Id
        $cg.MemoryMax | Should -Be 32MB
        $cg.MemoryCurrent / $cg.MemoryMax | Should -BeGreaterThan 0.8
    }
    It 'reports only the container above 80 % of its limit' {
        $report = @(& "$PSScriptRoot/Get-ContainerMemoryPressure.ps1" -Name "$script:mp-*")
        $report.Count | Should -Be 1
        $report[0].Name | Should -Be "$script:mp-hot"
        $report[0].MemoryMax | Should -Be 32MB
        $report[0].Percent | Should -BeGreaterThan 80
        $report[0].Percent | Should -BeLessOrEqual 100
    }
    It 'with -Threshold 0 reports every running container that has a limit, never an unlimited or stopped one' {
        $report = @(& "$PSScriptRoot/Get-ContainerMemoryPressure.ps1" -Name "$script:mp-*" -Threshold 0)
        $report.Name | Should -Be @("$script:mp-hot", "$script:mp-cool")
    }
    It 'with a threshold above the usage reports nothing' {
        & "$PSScriptRoot/Get-ContainerMemoryPressure.ps1" -Name "$script:mp-*" -Threshold 100 | Should -BeNullOrEmpty
    }
}

Describe 'Restart-FailedContainer.ps1' {
    BeforeAll {
        $script:rp = New-TestName 'restart'
        # Exits 3 on its first run and keeps running on the next: the marker survives in the writable layer.
        $script:crash = New-Container busybox -Name "$script:rp-crash" sh '-c' 'if [ -f /marker ]; then exec sleep infinity; fi; touch /marker; exit 3' |
            Start-Container -PassThru
        $script:ok = New-Container busybox -Name "$script:rp-ok" sh '-c' 'exit 0' | Start-Container -PassThru
        $script:killed = New-Container busybox -Name "$script:rp-killed" sleep infinity | Start-Container -PassThru
        $script:crash, $script:ok | Wait-Container | Out-Null
        $script:killed | Stop-Container -Timeout 0
        $script:okStartedAt = (Get-Container -Id $script:ok.Id).StartedAt
    }
    AfterAll {
        Get-Container "$script:rp-*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
    It 'the fixtures exited with 3, 0 and 137' {
        (Get-Container -Id $script:crash.Id).ExitCode | Should -Be 3
        (Get-Container -Id $script:ok.Id).ExitCode | Should -Be 0
        (Get-Container -Id $script:killed.Id).ExitCode | Should -Be 137
    }
    It '-WhatIf starts nothing' {
        & "$PSScriptRoot/Restart-FailedContainer.ps1" -Name "$script:rp-*" -WhatIf
        "$((Get-Container -Id $script:crash.Id).State)" | Should -Be 'Exited'
        "$((Get-Container -Id $script:killed.Id).State)" | Should -Be 'Exited'
    }
    It 'starts again the containers that exited non-zero, except the excluded codes, and leaves the others' {
        $restarted = @(& "$PSScriptRoot/Restart-FailedContainer.ps1" -Name "$script:rp-*" -ExcludeExitCode 137 -PassThru -Confirm:$false)
        $restarted.Name | Should -Be @("$script:rp-crash")
        "$((Get-Container -Id $script:crash.Id).State)" | Should -Be 'Running'
        $ok = Get-Container -Id $script:ok.Id
        "$($ok.State)" | Should -Be 'Exited'
        $ok.StartedAt | Should -Be $script:okStartedAt
        "$((Get-Container -Id $script:killed.Id).State)" | Should -Be 'Exited'
    }
    It 'without -ExcludeExitCode also starts the container killed by a signal' {
        & "$PSScriptRoot/Restart-FailedContainer.ps1" -Name "$script:rp-*" -Confirm:$false
        "$((Get-Container -Id $script:killed.Id).State)" | Should -Be 'Running'
        "$((Get-Container -Id $script:ok.Id).State)" | Should -Be 'Exited'
    }
}

Describe 'Remove-ContainerByLabel.ps1' {
    BeforeEach {
        $script:run = New-TestName 'run'
        $script:lp = New-TestName 'lbl'
        $script:labelled = @(
            New-Container busybox -Name "$script:lp-a" -Label @{ 'ci-run' = $script:run; team = 'qa' } sleep infinity | Start-Container -PassThru
            New-Container busybox -Name "$script:lp-b" -Label @{ 'ci-run' = $script:run } sleep 1
        )
        $script:other = New-Container busybox -Name "$script:lp-other" -Label @{ 'ci-run' = "$script:run-x" } sleep 1
        $script:plain = New-Container busybox -Name "$script:lp-plain" sleep 1
    }
    AfterEach {
        Get-Container "$script:lp-*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
    It '-WhatIf removes nothing' {
        & "$PSScriptRoot/Remove-ContainerByLabel.ps1" -Label "ci-run=$script:run" -Force -WhatIf
        @(Get-Container "$script:lp-*").Count | Should -Be 4
    }
    It 'removes every container with the label, running ones with -Force, and nothing else' {
        $removed = @(& "$PSScriptRoot/Remove-ContainerByLabel.ps1" -Label "ci-run=$script:run" -Force -PassThru -Confirm:$false)
        $removed.Name | Sort-Object | Should -Be @("$script:lp-a", "$script:lp-b")
        @(Get-Container "$script:lp-*").Name | Sort-Object | Should -Be @("$script:lp-other", "$script:lp-plain")
        Test-Path $script:labelled[0].BundlePath | Should -BeFalse
    }
    It 'without -Force leaves the running one and reports it' {
        $errs = $null
        & "$PSScriptRoot/Remove-ContainerByLabel.ps1" -Label "ci-run=$script:run" -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        @($errs).Count | Should -BeGreaterOrEqual 1
        "$($errs[0].FullyQualifiedErrorId)" | Should -BeLike 'ContainerRunning,*'
        @(Get-Container "$script:lp-*").Name | Sort-Object | Should -Be @("$script:lp-a", "$script:lp-other", "$script:lp-plain")
    }
    It 'rejects a label without =' {
        { & "$PSScriptRoot/Remove-ContainerByLabel.ps1" -Label 'ci-run' -Confirm:$false } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}
