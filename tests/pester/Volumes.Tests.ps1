BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Runs a throwaway container to completion with the given -Volume specs; returns exit code and output.
    function Invoke-WithVolume([string[]] $Volume, [string] $Script) {
        $c = New-Container busybox -Name (New-TestName 'vrun') -Volume $Volume -- sh -c $Script
        try {
            $c | Start-Container
            $code = $c | Wait-Container
            [pscustomobject]@{ ExitCode = $code; Output = @($c | Get-ContainerLog | ForEach-Object Line) }
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
}

Describe 'Named volumes' {
    It 'keeps data written by a container after it is removed, for the next container' {
        $vol = New-TestName 'vdata'
        try {
            (Invoke-WithVolume "${vol}:/data" 'echo survived > /data/f').ExitCode | Should -Be 0
            $v = Get-ContainerVolume $vol
            $v | Should -BeOfType PodShell.ContainerVolume
            $v.Driver | Should -Be 'local'
            $v.UsedBy | Should -BeNullOrEmpty
            $v.Mountpoint | Should -Be (Join-Path $env:PODSHELL_GRAPHROOT "volumes/$vol/_data")
            Get-Content (Join-Path $v.Mountpoint 'f') | Should -Be 'survived'

            $r = Invoke-WithVolume "${vol}:/elsewhere:ro" 'cat /elsewhere/f'
            $r.ExitCode | Should -Be 0
            $r.Output | Should -Be 'survived'
        }
        finally { Remove-ContainerVolume $vol -Force -Confirm:$false -ErrorAction SilentlyContinue }
        Get-ContainerVolume $vol -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:PODSHELL_GRAPHROOT "volumes/$vol") | Should -BeFalse
    }

    It 'New-ContainerVolume records labels, refuses a taken name and supports -WhatIf' {
        $vol = New-TestName 'vnew'
        try {
            $v = New-ContainerVolume $vol -Label @{ app = 'web' }
            $v.Labels['app'] | Should -Be 'web'
            $v.Created.Kind | Should -Be 'Utc'
            { New-ContainerVolume $vol -ErrorAction Stop } | Should -Throw -ErrorId 'VolumeAlreadyExists,PodShell.NewContainerVolumeCommand'
            { New-ContainerVolume 'bad name' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidVolumeName,PodShell.NewContainerVolumeCommand'
            $other = New-TestName 'vwhatif'
            New-ContainerVolume $other -WhatIf
            Get-ContainerVolume $other -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally { Remove-ContainerVolume $vol -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'Get-ContainerVolume matches wildcards, reports a missing name, and measures with -Size' {
        $prefix = New-TestName 'vwild'
        $names = "$prefix-a", "$prefix-b"
        try {
            $names | New-ContainerVolume | Out-Null
            Set-Content -Path (Join-Path (Get-ContainerVolume "$prefix-a").Mountpoint 'f') -Value ('x' * 99) -NoNewline
            @(Get-ContainerVolume "$prefix-*").Name | Should -Be $names
            @(Get-ContainerVolume "$prefix-?" -Size | Where-Object Name -eq "$prefix-a").Size | Should -Be 99
            (Get-ContainerVolume "$prefix-b").Size | Should -BeNullOrEmpty
            @(Get-ContainerVolume 'no-such-vol-*').Count | Should -Be 0
            { Get-ContainerVolume 'no-such-vol' -ErrorAction Stop } | Should -Throw -ErrorId 'VolumeNotFound,PodShell.GetContainerVolumeCommand'
        }
        finally { Remove-ContainerVolume "$prefix-*" -Confirm:$false -ErrorAction SilentlyContinue }
        @(Get-ContainerVolume "$prefix-*").Count | Should -Be 0
    }

    It 'completes volume names from the store' {
        $vol = New-TestName 'vcomp'
        try {
            New-ContainerVolume $vol | Out-Null
            $line = "Get-ContainerVolume $($vol.Substring(0, 8))"
            $comp = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $comp.CompletionText | Should -Contain $vol
            $line = "Remove-ContainerVolume -Name $($vol.Substring(0, 8))"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $vol
        }
        finally { Remove-ContainerVolume $vol -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'removes volumes from the pipeline, -WhatIf removes nothing, -PassThru returns them' {
        $vol = New-TestName 'vpipe'
        New-ContainerVolume $vol | Out-Null
        Get-ContainerVolume $vol | Remove-ContainerVolume -WhatIf
        Get-ContainerVolume $vol | Should -Not -BeNullOrEmpty
        $removed = Get-ContainerVolume $vol | Remove-ContainerVolume -Confirm:$false -PassThru
        $removed.Name | Should -Be $vol
        Get-ContainerVolume $vol -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses to remove a volume in use (VolumeInUse); -Force removes the container first' {
        $vol = New-TestName 'vbusy'
        $c = New-Container busybox -Name (New-TestName 'vuser') -Volume "${vol}:/data" sleep infinity | Start-Container -PassThru
        try {
            (Get-ContainerVolume $vol).UsedBy | Should -Be $c.Name
            { Remove-ContainerVolume $vol -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VolumeInUse,PodShell.RemoveContainerVolumeCommand'
            (Get-Container -Id $c.Id).State | Should -Be 'Running'
            Remove-ContainerVolume $vol -Force -WhatIf
            Get-Container -Id $c.Id | Should -Not -BeNullOrEmpty
            Remove-ContainerVolume $vol -Force -Confirm:$false
            Get-ContainerVolume $vol -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Remove-Container -Force -Confirm:$false
            Remove-ContainerVolume $vol -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Bind mounts' {
    BeforeAll {
        $script:hostDir = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'bind')
        New-Item -ItemType Directory -Path $script:hostDir | Out-Null
        Set-Content -Path (Join-Path $script:hostDir 'in.txt') -Value 'from host'
    }
    AfterAll { Remove-Item $script:hostDir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'a :ro bind is readable and refuses writes' {
        $r = Invoke-WithVolume "$($script:hostDir):/data:ro" 'cat /data/in.txt; echo x > /data/new'
        $r.Output | Should -Contain 'from host'
        $r.ExitCode | Should -Not -Be 0
        Test-Path (Join-Path $script:hostDir 'new') | Should -BeFalse
    }

    It 'a read-write bind writes through to the host, and a relative path is resolved against the location' {
        Push-Location $script:hostDir
        try { $r = Invoke-WithVolume './:/data' 'echo written > /data/out.txt' }
        finally { Pop-Location }
        $r.ExitCode | Should -Be 0
        Get-Content (Join-Path $script:hostDir 'out.txt') | Should -Be 'written'
    }

    It 'a missing host path fails with BindSourceNotFound and leaves nothing behind' {
        $name = New-TestName 'vmiss'
        $vol = New-TestName 'vnever'
        $missing = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'absent')
        $before = @(Get-Container).Count
        { New-Container busybox -Name $name -Volume "${vol}:/v", "${missing}:/data" -ErrorAction Stop -- true } |
            Should -Throw -ErrorId 'BindSourceNotFound,PodShell.NewContainerCommand'
        Get-Container $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @(Get-Container).Count | Should -Be $before
        Get-ContainerVolume $vol -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path $missing | Should -BeFalse
    }

    It 'a bad spec is refused with a stable id' {
        { New-Container busybox -v '/tmp' -ErrorAction Stop -- true } | Should -Throw -ErrorId 'InvalidVolumeSpec,PodShell.NewContainerCommand'
        { New-Container busybox -v '/tmp:/x:bogus' -ErrorAction Stop -- true } | Should -Throw -ErrorId 'InvalidVolumeOption,PodShell.NewContainerCommand'
    }
}
