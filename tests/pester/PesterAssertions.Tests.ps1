# PodShell.Pester (module/PodShell/PodShell.Pester.psm1): each assertion passes on a real container that
# matches and fails on one that does not, with a message that names the container, the expected and the
# actual value.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    Import-Module (Join-Path (Get-Module PodShell).ModuleBase 'PodShell.Pester.psm1') -Force -ErrorAction Stop

    # The error an assertion throws, or $null when it passes.
    function Get-AssertionFailure([scriptblock] $Assertion) {
        try { & $Assertion | Out-Null; $null } catch { $_ }
    }

    $script:limited = New-Container busybox -Name (New-TestName 'limited') -Memory 64MB -Cpus 0.5 -PidsLimit 50 sleep infinity |
        Start-Container -PassThru
    $script:idle = New-Container busybox -Name (New-TestName 'idle') sleep 1
    $script:done = New-Container busybox -Name (New-TestName 'done') sh '-c' 'exit 3' | Start-Container -PassThru
    $script:done | Wait-Container | Out-Null
    $script:done = Get-Container -Id $script:done.Id
}

AfterAll {
    foreach ($c in $script:limited, $script:idle, $script:done) {
        if ($c) { Remove-Container -Id $c.Id -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}

Describe 'The fixtures' {
    It 'are in the states the assertions are judged against' {
        "$((Get-Container -Id $script:limited.Id).State)" | Should -Be 'Running'
        "$($script:idle.State)" | Should -Be 'Created'
        "$($script:done.State)" | Should -Be 'Exited'
        $script:done.ExitCode | Should -Be 3
    }
}

Describe 'PodShell.Pester exports' {
    It 'exports <_>' -ForEach 'Should-BeRunning', 'Should-HaveMemoryLimit', 'Should-HaveCpuLimit', 'Should-HavePidsLimit',
    'Should-HaveOwnNamespace', 'Should-ShareNamespaceWithHost', 'Should-HaveExitCode' {
        Get-Command $_ -Module PodShell.Pester -ErrorAction Stop | Should -Not -BeNullOrEmpty
    }
    It 'registers the Should -BeRunning and Should -HaveMemoryLimit operators' {
        (Get-Command Should).Parameters.Keys | Should -Contain 'BeRunning'
        (Get-Command Should).Parameters.Keys | Should -Contain 'HaveMemoryLimit'
    }
}

Describe 'Should-BeRunning' {
    It 'passes on a running container, given as an object or as a name' {
        Get-AssertionFailure { $script:limited | Should-BeRunning } | Should -BeNullOrEmpty
        Get-AssertionFailure { $script:limited.Name | Should-BeRunning } | Should -BeNullOrEmpty
    }
    It 'fails on a created container, naming it, Running and Created' {
        $err = Get-AssertionFailure { $script:idle | Should-BeRunning }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -BeLike "*'$($script:idle.Name)'*Running*Created*"
    }
    It 'fails on an exited container with its state' {
        (Get-AssertionFailure { $script:done.Name | Should-BeRunning }).Exception.Message | Should -BeLike "*'$($script:done.Name)'*Running*Exited*"
    }
    It 'puts -Because in the message' {
        (Get-AssertionFailure { $script:idle | Should-BeRunning -Because 'the web tier must be up' }).Exception.Message |
            Should -BeLike '*because the web tier must be up*'
    }
    It 'fails for a container that does not exist' {
        Get-AssertionFailure { 'no-such-container-x9' | Should-BeRunning } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Should-HaveMemoryLimit' {
    It 'passes with the limit the container has' {
        Get-AssertionFailure { $script:limited | Should-HaveMemoryLimit 64MB } | Should -BeNullOrEmpty
        Get-AssertionFailure { $script:idle | Should-HaveMemoryLimit ([long]::MaxValue) } | Should -BeNullOrEmpty
    }
    It 'fails with another limit, naming the container, the expected and the actual bytes' {
        $msg = (Get-AssertionFailure { $script:limited | Should-HaveMemoryLimit 128MB }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*"
        $msg | Should -BeLike "*$(128MB)*"
        $msg | Should -BeLike "*$(64MB)*"
    }
    It 'says "no limit" for an unlimited container' {
        $msg = (Get-AssertionFailure { $script:idle | Should-HaveMemoryLimit 64MB }).Exception.Message
        $msg | Should -BeLike "*'$($script:idle.Name)'*$(64MB)*no limit*"
    }
}

Describe 'Should-HaveCpuLimit' {
    It 'passes with the CPUs the container has' {
        Get-AssertionFailure { $script:limited | Should-HaveCpuLimit 0.5 } | Should -BeNullOrEmpty
    }
    It 'fails with another limit, naming the container, the expected and the actual CPUs' {
        $msg = (Get-AssertionFailure { $script:limited | Should-HaveCpuLimit 2 }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*CPU limit 2*0.5*"
    }
    It 'fails on an unlimited container, saying so' {
        (Get-AssertionFailure { $script:idle | Should-HaveCpuLimit 1 }).Exception.Message | Should -BeLike "*'$($script:idle.Name)'*1*no limit*"
    }
}

Describe 'Should-HavePidsLimit' {
    It 'passes with the pids limit the container has' {
        Get-AssertionFailure { $script:limited | Should-HavePidsLimit 50 } | Should -BeNullOrEmpty
    }
    It 'fails with another limit, naming the container, the expected and the actual limit' {
        $msg = (Get-AssertionFailure { $script:limited | Should-HavePidsLimit 100 }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*100*50*"
    }
}

Describe 'Should-HaveOwnNamespace' {
    It 'passes for the <_> namespace, which a container has of its own' -ForEach 'pid', 'net', 'mnt', 'uts', 'ipc' {
        Get-AssertionFailure { $script:limited | Should-HaveOwnNamespace $_ } | Should -BeNullOrEmpty
    }
    It 'fails for the user namespace, which it shares, naming the container, the type and the inode' {
        $ns = Get-ContainerNamespace -Id $script:limited.Id -Type user
        $msg = (Get-AssertionFailure { $script:limited | Should-HaveOwnNamespace user }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*own user namespace*shares the host's*$($ns.Inode)*"
    }
}

Describe 'Should-ShareNamespaceWithHost' {
    It 'passes for the user namespace' {
        Get-AssertionFailure { $script:limited | Should-ShareNamespaceWithHost user } | Should -BeNullOrEmpty
    }
    It 'fails for the net namespace, naming the container, the host inode and the container inode' {
        $ns = Get-ContainerNamespace -Id $script:limited.Id -Type net
        $msg = (Get-AssertionFailure { $script:limited | Should-ShareNamespaceWithHost net }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*net namespace*$($ns.HostInode)*own*$($ns.Inode)*"
    }
}

Describe 'Should-HaveExitCode' {
    It 'passes with the code the container exited with' {
        Get-AssertionFailure { $script:done | Should-HaveExitCode 3 } | Should -BeNullOrEmpty
    }
    It 'fails with another code, naming the container, the expected and the actual code' {
        $msg = (Get-AssertionFailure { $script:done | Should-HaveExitCode 0 }).Exception.Message
        $msg | Should -BeLike "*'$($script:done.Name)'*code 0*3*"
    }
    It 'fails on a container that is still running' {
        $msg = (Get-AssertionFailure { $script:limited | Should-HaveExitCode 0 }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*code 0*still Running*"
    }
}

Describe 'Should -BeRunning (operator)' {
    It 'passes on a running container' {
        Get-AssertionFailure { $script:limited | Should -BeRunning } | Should -BeNullOrEmpty
    }
    It 'fails on a created container, naming it, Running and Created' {
        $err = Get-AssertionFailure { $script:idle | Should -BeRunning }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -BeLike "*'$($script:idle.Name)'*Running*Created*"
    }
    It 'with -Not passes on a created container and fails on a running one' {
        Get-AssertionFailure { $script:idle | Should -Not -BeRunning } | Should -BeNullOrEmpty
        (Get-AssertionFailure { $script:limited | Should -Not -BeRunning }).Exception.Message | Should -BeLike "*'$($script:limited.Name)'*not*Running*"
    }
}

Describe 'Should -HaveMemoryLimit (operator)' {
    It 'passes with the limit the container has' {
        Get-AssertionFailure { $script:limited | Should -HaveMemoryLimit 64MB } | Should -BeNullOrEmpty
    }
    It 'fails with another limit, naming the container, the expected and the actual bytes' {
        $msg = (Get-AssertionFailure { $script:limited | Should -HaveMemoryLimit 128MB }).Exception.Message
        $msg | Should -BeLike "*'$($script:limited.Name)'*$(128MB)*$(64MB)*"
    }
    It 'with -Not passes with another limit' {
        Get-AssertionFailure { $script:limited | Should -Not -HaveMemoryLimit 128MB } | Should -BeNullOrEmpty
    }
}
