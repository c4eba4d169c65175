# An example infrastructure test suite, as an operator writes it with PodShell.Pester: it states what must be
# true of the containers on a host (running, limited, isolated, jobs finished cleanly) and fails with a message
# naming the container, the expected and the actual value when it is not.
#
# On a real host the containers exist already and the suite only reads them. To run anywhere (and in this
# repository's test run) it creates a small "shop" of its own in BeforeAll and removes it in AfterAll.
#
# Run it:  Invoke-Pester ./examples/Infrastructure.Tests.ps1 -Output Detailed

BeforeAll {
    # This repository's test run: the busybox image and an isolated store. A user's suite imports PodShell.
    . (Join-Path $PSScriptRoot '../tests/pester/TestSetup.ps1')
    Import-Module (Join-Path (Get-Module PodShell).ModuleBase 'PodShell.Pester.psm1')

    $script:shop = New-TestName 'shop'
    $script:web = "$script:shop-web"
    $script:cache = "$script:shop-cache"
    $script:migration = "$script:shop-migrate"

    New-Container busybox -Name $script:web -Memory 128MB -Cpus 0.5 -PidsLimit 100 -Label @{ app = $script:shop; tier = 'web' } `
        sh '-c' 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www' | Start-Container
    New-Container busybox -Name $script:cache -Memory 64MB -PidsLimit 50 -Label @{ app = $script:shop; tier = 'cache' } `
        sh '-c' 'while true; do date > /tmp/heartbeat; sleep 1; done' | Start-Container
    New-Container busybox -Name $script:migration -Memory 32MB -Label @{ app = $script:shop; tier = 'job' } `
        sh '-c' 'echo migrating; echo migration done' | Start-Container -PassThru | Wait-Container | Out-Null
}

AfterAll {
    Get-Container "$script:shop-*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
}

Describe 'The web tier' {
    It 'is running' {
        Get-Container $script:web | Should-BeRunning -Because 'the shop is down without it'
    }
    It 'has the limits from the capacity plan' {
        $script:web | Should-HaveMemoryLimit 128MB
        $script:web | Should-HaveCpuLimit 0.5
        $script:web | Should-HavePidsLimit 100
    }
    It 'is isolated from the host in its <_> namespace' -ForEach 'pid', 'net', 'mnt', 'ipc', 'uts' {
        $script:web | Should-HaveOwnNamespace $_
    }
    It 'runs httpd as its main process' {
        Invoke-ContainerCommand $script:web cat /proc/1/comm | Should -Be 'httpd'
    }
}

Describe 'The cache' {
    It 'is running with a memory limit (classic Should syntax)' {
        Get-Container $script:cache | Should -BeRunning
        Get-Container $script:cache | Should -HaveMemoryLimit 64MB
    }
    It 'stays well below its pids limit' {
        $cg = Get-ContainerCgroup $script:cache
        $cg.PidsCurrent | Should -BeLessThan ($cg.PidsMax / 2)
    }
    It 'writes its heartbeat' {
        Invoke-ContainerCommand $script:cache sh '-c' 'test -s /tmp/heartbeat && echo yes' | Should -Be 'yes'
    }
}

Describe 'The migration job' {
    It 'finished with exit code 0' {
        $script:migration | Should-HaveExitCode 0
    }
    It 'logged that it was done' {
        (Get-ContainerLog $script:migration).Line | Should -Contain 'migration done'
    }
}

Describe 'Host-wide rules for the shop' {
    It 'no running container of the shop is without a memory limit' {
        $running = @(Get-Container "$script:shop-*" | Where-Object { "$($_.State)" -eq 'Running' })
        $running.Count | Should -BeGreaterThan 0
        foreach ($c in $running) { $c | Should -Not -HaveMemoryLimit ([long]::MaxValue) -Because "$($c.Name) could starve the host" }
    }
    It 'no container of the shop shares the host network namespace' {
        foreach ($c in Get-Container "$script:shop-*" | Where-Object { "$($_.State)" -eq 'Running' }) {
            $c | Should-HaveOwnNamespace net
        }
    }
}
