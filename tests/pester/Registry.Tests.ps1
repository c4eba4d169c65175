BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    . (Join-Path $PSScriptRoot 'RegistryServer.ps1')
    $script:reg = Start-TestRegistry
    $script:secure = Start-TestRegistry -User 'pod' -Password 'shell-pass'
    $script:cred = [pscredential]::new('pod', (ConvertTo-SecureString 'shell-pass' -AsPlainText -Force))
}
AfterAll {
    if ($script:reg) { Stop-TestRegistry $script:reg }
    if ($script:secure) { Stop-TestRegistry $script:secure }
}

Describe 'Publish-ContainerImage and Request-ContainerImage against a real registry' {
    BeforeAll {
        # A root filesystem of its own (a unique file), so its layer is shared with no other image and
        # pulling it back must really download it.
        $script:local = New-TestName 'push'
        $rootfs = Join-Path $env:PODSHELL_TEST_ROOT $script:local
        & cp -a $script:BusyboxRootfs $rootfs
        Set-Content -Path (Join-Path $rootfs 'etc/marker') -Value $script:local
        Import-ContainerImage -Path $rootfs -Name $script:local | Out-Null
        $script:dest = "$($script:reg.Host)/pester/busybox:1"
        $script:pushed = Publish-ContainerImage $script:local $script:dest -PassThru -Confirm:$false
    }
    AfterAll {
        Get-Container | Where-Object Name -like 'pulled-*' | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
        Get-ContainerImage | Where-Object { $_.Names -like "$($script:reg.Host)/*" } | Remove-ContainerImage -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'pushes an imported image and passes it through with the pushed digest' {
        $script:pushed | Should -BeOfType PodShell.ContainerImage
        $script:pushed.PushedReference | Should -Be $script:dest
        $script:pushed.PushedDigest | Should -Match '^sha256:[0-9a-f]{64}$'
    }
    It 'pulls it back by tag after the local image is removed, and runs a container from it' {
        Remove-ContainerImage $script:local -Confirm:$false
        # The push left its gzip layer and manifest in the blob store; drop them as a fresh host would lack them.
        $manifest = Get-Content -Raw (Join-Path $env:PODSHELL_GRAPHROOT "blobs/sha256/$($script:pushed.PushedDigest.Substring(7))") | ConvertFrom-Json
        $script:layer = $manifest.layers[0].digest
        Remove-Item (Join-Path $env:PODSHELL_GRAPHROOT "blobs/sha256/$($script:layer.Substring(7))")
        $img = Request-ContainerImage $script:dest
        $img | Should -BeOfType PodShell.ContainerImage
        $img.Names | Should -Contain $script:dest
        $img.Digest | Should -Be $script:pushed.PushedDigest
        $name = New-TestName 'pulled'
        New-Container $script:dest -Name $name sleep 60 | Start-Container
        Invoke-ContainerCommand $name cat /etc/marker | Should -Be $script:local
        Get-TestRegistryBlobGet $script:reg $script:layer | Should -Be 1
        Remove-Container $name -Force -Confirm:$false
    }
    It 'pulls by digest and downloads no layer the second time' {
        $layer = $script:layer
        $before = Get-TestRegistryBlobGet $script:reg $layer
        $before | Should -Be 1
        $ref = "$($script:reg.Host)/pester/busybox@$($script:pushed.PushedDigest)"
        $img = Pull-ContainerImage $ref
        $img.Names | Should -Contain $ref
        $img.Digest | Should -Be $script:pushed.PushedDigest
        Request-ContainerImage $script:dest | Out-Null
        Get-TestRegistryBlobGet $script:reg $layer | Should -Be $before
    }
    It 'does nothing with -WhatIf' {
        Publish-ContainerImage busybox "$($script:reg.Host)/pester/whatif:1" -WhatIf
        { Request-ContainerImage "$($script:reg.Host)/pester/whatif:1" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageNotFoundInRegistry,PodShell.RequestContainerImageCommand'
    }
    It 'reports a missing image, an unknown platform and an unreachable registry with clear ids' {
        { Request-ContainerImage "$($script:reg.Host)/pester/nope:1" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageNotFoundInRegistry,PodShell.RequestContainerImageCommand'
        { Request-ContainerImage $script:dest -Platform 'nonsense' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidPlatform,PodShell.RequestContainerImageCommand'
        $closed = Get-FreeTcpPort
        { Request-ContainerImage "127.0.0.1:$closed/x:1" -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegistryUnreachable,PodShell.RequestContainerImageCommand'
    }
    It 'goes on with the next name after a failure' {
        $out = Request-ContainerImage "$($script:reg.Host)/pester/nope:1", $script:dest -ErrorAction SilentlyContinue -ErrorVariable errs
        @($out).Count | Should -Be 1
        @($errs).Count | Should -Be 1
    }
}

Describe 'A registry with Basic authentication' {
    It 'refuses a push without credentials' {
        { Publish-ContainerImage busybox "$($script:secure.Host)/s/busybox:1" -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegistryAuthenticationFailed,PodShell.PublishContainerImageCommand'
    }
    It 'pushes and pulls with -Credential' {
        $dest = "$($script:secure.Host)/s/busybox:1"
        Publish-ContainerImage busybox $dest -Credential $script:cred -Confirm:$false
        { Request-ContainerImage $dest -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegistryAuthenticationFailed,PodShell.RequestContainerImageCommand'
        (Request-ContainerImage $dest -Credential $script:cred).Names | Should -Contain $dest
        Remove-ContainerImage $dest -Confirm:$false
    }
}

Describe 'Registry cmdlet metadata' {
    It 'exports the Docker-style aliases' {
        (Get-Alias Pull-ContainerImage).ResolvedCommandName | Should -Be 'Request-ContainerImage'
        (Get-Alias Push-ContainerImage).ResolvedCommandName | Should -Be 'Publish-ContainerImage'
    }
}
