# Issue 9's regression guard at the cmdlet level: it times nothing, it counts what the engine does per cmdlet call
# (runtime and conmon processes, database connections). The pinned maxima are the numbers measured when the guard
# was written; a change that raises one fails here. The xunit twin (Diagnostics/RoundTripGuardTests) pins the engine.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # Counts what $Body does on this runspace's flow only (EngineCounters.Measure is an AsyncLocal scope).
    function Measure-EngineWork([scriptblock] $Body) {
        $scope = [PodShell.Engine.Diagnostics.EngineCounters]::Measure()
        try { $null = & $Body } finally { $scope.Dispose() }
        $c = $scope.Counters
        [pscustomobject]@{
            Database = $c.Count([PodShell.Engine.Diagnostics.EnginePhase]::Database)
            Runtime  = $c.Count([PodShell.Engine.Diagnostics.EnginePhase]::Runtime)
            Monitor  = $c.Count([PodShell.Engine.Diagnostics.EnginePhase]::Monitor)
        }
    }
}

Describe 'Engine work per cmdlet does not rise' {
    BeforeAll {
        $script:names = @(1..5 | ForEach-Object { New-TestName 'guard' })
        foreach ($n in $script:names) { New-Container busybox -Name $n -- true | Out-Null }
    }
    AfterAll {
        foreach ($n in $script:names) { Remove-Container $n -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'New-Container: at most 3 database connections, no runtime, no conmon' {
        $name = New-TestName 'guard'
        $script:names += $name
        $w = Measure-EngineWork { New-Container busybox -Name $name -- true }
        Get-Container $name | Should -Not -BeNullOrEmpty
        $w.Database | Should -BeGreaterThan 0
        $w.Database | Should -BeLessOrEqual 4   # 3 before the default bridge network (its IPAM is in SQLite)
        $w.Runtime | Should -Be 0
        $w.Monitor | Should -Be 0
    }

    It 'Get-Container: one database connection however many containers there are, and no runtime' {
        $w = Measure-EngineWork { $script:all = @(Get-Container) }
        foreach ($n in $script:names) { $script:all.Name | Should -Contain $n }
        $w.Database | Should -Be 1
        $w.Runtime | Should -Be 0
        $w.Monitor | Should -Be 0
    }

    It 'Get-Container by name: at most one database connection' {
        $w = Measure-EngineWork { Get-Container $script:names[0] }
        $w.Database | Should -BeLessOrEqual 1
        $w.Runtime | Should -Be 0
    }

    It 'Invoke-Container -AutoRemove true: one conmon and no runtime process of the engine''s own' {
        # conmon runs `runc create`; the start goes through runc's exec fifo, the netns file is made on a thread and
        # the exited container is forgotten without `runc delete`: pinned at 0 (it was 3, then 1).
        $name = New-TestName 'guard'
        $w = Measure-EngineWork { Invoke-Container busybox -Name $name -AutoRemove -- true }
        Get-Container $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $w.Monitor | Should -Be 1
        $w.Runtime | Should -Be 0
    }
}
