BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Tagging, untagging and pruning images' {
    It 'adds names to an image and removing one name only untags' {
        $a = New-TestName 'tag'
        $img = Add-ContainerImageTag busybox -Tag "${a}:1", "${a}:2" -PassThru | Select-Object -Last 1
        $img.Names | Should -Contain "${a}:1"
        $img.Names | Should -Contain "${a}:2"
        (Get-ContainerImage "${a}:1").Id | Should -Be (Get-ContainerImage busybox).Id
        $removed = Remove-ContainerImage "${a}:1" -Confirm:$false -PassThru
        $removed.Id | Should -Be $img.Id
        Get-ContainerImage "${a}:1" -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-ContainerImage "${a}:2").Id | Should -Be $img.Id
        (Get-ContainerImage busybox).Names | Should -Contain 'busybox:latest'
        Remove-ContainerImage "${a}:2" -Confirm:$false
        Get-ContainerImage busybox | Should -Not -BeNullOrEmpty
    }
    It 'refuses to remove an image by id while it has several names, unless -Force' {
        $n = New-TestName 'multi'
        $img = Import-ContainerImage -Path $script:BusyboxRootfs -Name $n -Command sh
        Add-ContainerImageTag $n -Tag "$n-b" | Out-Null
        { Remove-ContainerImage -Id $img.Id -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ImageHasMultipleNames,PodShell.RemoveContainerImageCommand'
        Remove-ContainerImage -Id $img.Id -Force -Confirm:$false
        Get-ContainerImage -Id $img.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It 'refuses to remove an image in use unless -Force, which removes its containers too' {
        $n = New-TestName 'inuse'
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $n | Out-Null
        $c = New-Container $n -Name (New-TestName 'user') sleep infinity | Start-Container -PassThru
        { Remove-ContainerImage $n -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ImageInUse,PodShell.RemoveContainerImageCommand'
        Get-Container -Id $c.Id | Should -Not -BeNullOrEmpty
        Remove-ContainerImage $n -Force -Confirm:$false
        Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path "/proc/$($c.Pid)" | Should -BeFalse
    }
    It 'prunes dangling images and the layers only they used; -WhatIf prunes nothing' {
        $n = New-TestName 'dangle'
        $extra = Join-Path $env:PODSHELL_TEST_ROOT "$n-rootfs"
        & (Join-Path $PSScriptRoot '../../build/New-BusyboxRootfs.ps1') -Path $extra
        Set-Content (Join-Path $extra 'etc/unique') $n   # a layer of its own, not busybox's
        $old = Import-ContainerImage -Path $extra -Name $n
        $layerDir = (Get-OverlayLayer -Image $n).DiffDir
        # importing again under the same name moves the name: the old image is left dangling
        $new = Import-ContainerImage -Path $script:BusyboxRootfs -Name $n
        $new.Id | Should -Not -Be $old.Id
        (Get-ContainerImage -Id $old.Id).Names | Should -BeNullOrEmpty
        Clear-ContainerImage -WhatIf
        Get-ContainerImage -Id $old.Id | Should -Not -BeNullOrEmpty
        $pruned = Clear-ContainerImage -Confirm:$false -PassThru
        $pruned.Id | Should -Contain $old.Id
        $pruned.Id | Should -Not -Contain $new.Id
        Get-ContainerImage -Id $old.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path $layerDir | Should -BeFalse
        Test-Path (Get-OverlayLayer -Image busybox).DiffDir | Should -BeTrue
        Remove-ContainerImage $n -Confirm:$false
        Remove-Item -Recurse -Force $extra
    }
    It 'Clear-ContainerImage -All removes named images no container uses, and keeps those in use' {
        $n = New-TestName 'unused'
        $unused = Import-ContainerImage -Path $script:BusyboxRootfs -Name $n
        $c = New-Container busybox -Name (New-TestName 'keep') sleep 1
        try {
            $pruned = Clear-ContainerImage -All -Confirm:$false -PassThru
            $pruned.Id | Should -Contain $unused.Id
            Get-ContainerImage busybox | Should -Not -BeNullOrEmpty
        }
        finally {
            $c | Remove-Container -Confirm:$false
            if (-not (Get-ContainerImage busybox -ErrorAction Ignore)) { Import-ContainerImage -Path $script:BusyboxRootfs -Name busybox | Out-Null }
        }
    }
}

Describe 'Shared layers' {
    It 'Get-OverlayLayer -Image shows that two images share one layer' {
        $n = New-TestName 'share'
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $n | Out-Null
        $mine = Get-OverlayLayer -Image $n
        $theirs = Get-OverlayLayer -Image busybox
        $mine.Id | Should -Be $theirs.Id
        $mine.UsedBy | Should -Contain 'busybox:latest'
        $mine.UsedBy | Should -Contain "${n}:latest"
        Remove-ContainerImage $n -Confirm:$false
        Test-Path $theirs.DiffDir | Should -BeTrue
    }
}

Describe 'New-Container process options' {
    It 'runs as the -User given by name from the image''s /etc/passwd' {
        $c = New-Container busybox -Name (New-TestName 'usr') -User nobody sleep infinity | Start-Container -PassThru
        try {
            Invoke-ContainerCommand $c.Id -- id -u | Should -Be '65534'
            (Get-Content "/proc/$($c.Pid)/status" | Where-Object { $_ -like 'Uid:*' }) -split '\s+' | Select-Object -Index 1 | Should -Be '65534'
            (Get-Container -Id $c.Id).User | Should -Be 'nobody'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'runs as a numeric uid:gid' {
        $c = New-Container busybox -Name (New-TestName 'uid') -User '1234:4321' sleep infinity | Start-Container -PassThru
        try {
            $status = Get-Content "/proc/$($c.Pid)/status"
            ($status | Where-Object { $_ -like 'Uid:*' }) -split '\s+' | Select-Object -Index 1 | Should -Be '1234'
            ($status | Where-Object { $_ -like 'Gid:*' }) -split '\s+' | Select-Object -Index 1 | Should -Be '4321'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'refuses an unknown user name with UserNotFound and leaves nothing' {
        $before = @(Get-Container).Count
        { New-Container busybox -User no-such-user sleep 1 -ErrorAction Stop } | Should -Throw -ErrorId 'UserNotFound,PodShell.NewContainerCommand'
        @(Get-Container).Count | Should -Be $before
    }
    It 'Stop-Container sends the container''s -StopSignal first' {
        $c = New-Container busybox -Name (New-TestName 'sig') -StopSignal SIGINT -- sh -c 'trap "exit 42" INT; while true; do sleep 0.1; done' |
            Start-Container -PassThru
        try {
            Start-Sleep -Milliseconds 300
            $stopped = $c | Stop-Container -Timeout 10 -PassThru
            $stopped.ExitCode | Should -Be 42
            $stopped.StopSignal | Should -Be 'SIGINT'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Stop-Container -Signal overrides the stop signal' {
        $c = New-Container busybox -Name (New-TestName 'sig2') -- sh -c 'trap "exit 43" HUP; while true; do sleep 0.1; done' | Start-Container -PassThru
        try {
            Start-Sleep -Milliseconds 300
            ($c | Stop-Container -Signal HUP -Timeout 10 -PassThru).ExitCode | Should -Be 43
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'refuses a bad -StopSignal with InvalidSignal' {
        { New-Container busybox -StopSignal SIGNOPE sleep 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSignal,PodShell.NewContainerCommand'
    }
    It 'keeps -Label on the container' {
        $c = New-Container busybox -Name (New-TestName 'lbl') -Label @{ tier = 'web'; owner = 'ops' } sleep 1
        try {
            $c.Labels['tier'] | Should -Be 'web'
            (Get-Container -Id $c.Id).Labels['owner'] | Should -Be 'ops'
        }
        finally { $c | Remove-Container -Confirm:$false }
    }
}
