BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Import-ContainerImage and Get-ContainerImage' {
    It 'imports a rootfs directory as an image with a real diff id' {
        $img = Get-ContainerImage busybox
        $img | Should -BeOfType PodShell.ContainerImage
        $img.Names | Should -Contain 'busybox:latest'
        $img.Layers.Count | Should -Be 1
        (Get-OverlayLayer -Image busybox).DiffId | Should -Match '^sha256:[0-9a-f]{64}$'
    }
    It 'imports a .tar.gz rootfs and finds it by wildcard' {
        $tgz = Join-Path $env:PODSHELL_TEST_ROOT 'bb.tar.gz'
        & tar -C $script:BusyboxRootfs -czf $tgz .
        $name = New-TestName 'gz'
        $img = Import-ContainerImage -Path $tgz -Name $name
        $img.Names | Should -Contain "${name}:latest"
        @(Get-ContainerImage 'gz-*').Names | Should -Contain "${name}:latest"
        Remove-ContainerImage $name -Confirm:$false
        Get-ContainerImage $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It 'reports a missing image as ImageNotFound' {
        { Get-ContainerImage no-such-image -ErrorAction Stop } | Should -Throw -ErrorId 'ImageNotFound,PodShell.GetContainerImageCommand'
    }
}

Describe 'A limited container (the primitive lab)' {
    BeforeAll {
        $script:name = New-TestName 'lab'
        $script:ctr = New-Container busybox -Name $script:name -Hostname primitive-lab -Memory 128MB -Cpus 0.5 -PidsLimit 64 sleep infinity
        Start-Container $script:name
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'is created with the limits as raw values' {
        $script:ctr.State | Should -Be 'Created'
        $script:ctr.MemoryMax | Should -Be 134217728
        $script:ctr.Cpus | Should -Be 0.5
        $script:ctr.PidsMax | Should -Be 64
    }
    It 'runs after Start-Container' {
        $c = Get-Container $script:name
        $c.State | Should -Be 'Running'
        $c.Pid | Should -BeGreaterThan 0
        Test-Path "/proc/$($c.Pid)" | Should -BeTrue
    }
    It 'shows the limits as the kernel cgroup files hold them' {
        $cg = Get-Container $script:name | Get-ContainerCgroup
        $cg.MemoryMax | Should -Be 134217728
        $cg.CpuQuota | Should -Be 50000
        $cg.CpuPeriod | Should -Be 100000
        $cg.Cpus | Should -Be 0.5
        $cg.PidsMax | Should -Be 64
        $cg.PidsCurrent | Should -BeGreaterOrEqual 1
        $cg.MemoryCurrent | Should -BeGreaterThan 0
        $cg.Path | Should -BeLike "*$($script:ctr.Id)*"
        # the same figure straight from cgroupfs, not from PodShell
        Get-Content "$(Get-CgroupDirectory (Get-Container $script:name).Pid 'pids')/pids.max" | Should -Be '64'
    }
    It 'lives in its own pid, mnt, uts, ipc and net namespaces' {
        $ns = Get-ContainerNamespace $script:name
        foreach ($t in 'pid', 'mnt', 'uts', 'ipc', 'net') {
            $n = $ns | Where-Object Type -eq $t
            $n.SharedWithHost | Should -BeFalse -Because "$t must be private"
            $n.Inode | Should -Not -Be $n.HostInode
        }
        ($ns | Where-Object Type -eq 'user').SharedWithHost | Should -BeTrue
        $pidNs = $ns | Where-Object Type -eq 'pid'
        $pidNs.Inode | Should -Be ([uint64](((& readlink "/proc/$((Get-Container $script:name).Pid)/ns/pid") -replace '\D', '')))
    }
    It 'has its hostname inside' {
        Invoke-ContainerCommand $script:name hostname | Should -Be 'primitive-lab'
    }
    It 'sees only its own processes' {
        $ps = @(Invoke-ContainerCommand $script:name -- ps -o 'pid,comm' | Select-Object -Skip 1)
        $ps.Count | Should -BeLessOrEqual 3
        ($ps -join "`n") | Should -Match '\b1 sleep'
    }
    It 'writes into the overlay upper dir and shows it in the merged view' {
        Invoke-ContainerCommand $script:name -- sh -c 'echo hello > /root/hello.txt'
        $layer = Get-OverlayLayer -Container $script:name | Where-Object Kind -eq 'Container'
        $layer.Mounted | Should -BeTrue
        $layer.LowerDirs.Count | Should -BeGreaterOrEqual 1
        Get-Content (Join-Path $layer.UpperDir 'root/hello.txt') | Should -Be 'hello'
        Get-Content (Join-Path $layer.MergedDir 'root/hello.txt') | Should -Be 'hello'
        # the live mount says the same
        (Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$($layer.MergedDir)*" }) | Should -Match "upperdir=$([regex]::Escape($layer.UpperDir))"
    }
    It 'passes exit codes through $LASTEXITCODE and writes an error for a non-zero exit' {
        Invoke-ContainerCommand $script:name -ErrorVariable ev -ErrorAction SilentlyContinue -- sh -c 'echo out; echo err >&2; exit 3' | Should -Be 'out'
        $LASTEXITCODE | Should -Be 3
        $ev.FullyQualifiedErrorId | Should -Contain 'ContainerCommandStderr,PodShell.InvokeContainerCommandCommand'
        $ev.FullyQualifiedErrorId | Should -Contain 'ContainerCommandFailed,PodShell.InvokeContainerCommandCommand'
        Invoke-ContainerCommand $script:name true
        $LASTEXITCODE | Should -Be 0
    }
    It 'is matched by Where MemoryMax -lt 256MB while an unlimited container is not' {
        $free = New-Container busybox -Name (New-TestName 'free') sleep 1
        try {
            $free.MemoryMax | Should -Be ([long]::MaxValue)
            $hits = @(Get-Container | Where-Object MemoryMax -lt 256MB).Name
            $hits | Should -Contain $script:name
            $hits | Should -Not -Contain $free.Name
        }
        finally { $free | Remove-Container -Confirm:$false }
    }
}

Describe 'Memory sizes' {
    It 'accepts <Value>' -ForEach @(
        @{ Value = 128MB; Bytes = 134217728 }
        @{ Value = '128m'; Bytes = 134217728 }
        @{ Value = '128MiB'; Bytes = 134217728 }
        @{ Value = '1.5g'; Bytes = 1610612736 }
    ) {
        $c = New-Container busybox -Name (New-TestName 'mem') -Memory $Value sleep 1
        try { $c.MemoryMax | Should -Be $Bytes }
        finally { $c | Remove-Container -Confirm:$false }
    }
}

Describe 'Lifecycle' {
    It 'Wait-Container returns the exit code and the log holds the output' {
        $c = New-Container busybox -Name (New-TestName 'wait') -- sh -c 'echo hello-log; echo oops >&2; exit 7'
        try {
            $c | Start-Container
            $c | Wait-Container | Should -Be 7
            $after = Get-Container -Id $c.Id
            $after.State | Should -Be 'Exited'
            $after.ExitCode | Should -Be 7
            $after.FinishedAt | Should -Not -BeNullOrEmpty
            $log = @(Get-ContainerLog $c.Name)
            ($log | Where-Object Stream -eq 'stdout').Line | Should -Contain 'hello-log'
            ($log | Where-Object Stream -eq 'stderr').Line | Should -Contain 'oops'
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false }
    }
    It 'Stop-Container escalates to SIGKILL after the timeout (exit 137 for sleep as PID 1)' {
        $c = New-Container busybox -Name (New-TestName 'stop') sleep infinity | Start-Container -PassThru
        try {
            $stopped = $c | Stop-Container -Timeout 1 -PassThru
            $stopped.State | Should -Be 'Exited'
            $stopped.ExitCode | Should -Be 137
            Test-Path "/proc/$($c.Pid)" | Should -BeFalse
            (Get-Content /proc/self/mountinfo) -like "*$($c.Id)*" | Should -BeNullOrEmpty
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'restarts an exited container' {
        $c = New-Container busybox -Name (New-TestName 'again') -- sh -c 'exit 0'
        try {
            $c | Start-Container; $c | Wait-Container | Should -Be 0
            $c | Start-Container; $c | Wait-Container | Should -Be 0
            (Get-Container -Id $c.Id).State | Should -Be 'Exited'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Remove-Container -Force removes a running container and leaves no mount, cgroup or process' {
        $c = New-Container busybox -Name (New-TestName 'rm') sleep infinity | Start-Container -PassThru
        $cgroupDir = Get-CgroupDirectory $c.Pid 'memory'
        Test-Path $cgroupDir | Should -BeTrue
        $c | Remove-Container -Force -Confirm:$false
        Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path "/proc/$($c.Pid)" | Should -BeFalse
        Test-Path $cgroupDir | Should -BeFalse
        (Get-Content /proc/self/mountinfo) -like "*$($c.Id)*" | Should -BeNullOrEmpty
        Test-Path $c.BundlePath | Should -BeFalse
    }
    It 'refuses to remove a running container without -Force' {
        $c = New-Container busybox -Name (New-TestName 'busy') sleep infinity | Start-Container -PassThru
        try {
            { $c | Remove-Container -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerRunning,PodShell.RemoveContainerCommand'
            (Get-Container -Id $c.Id).State | Should -Be 'Running'
        }
        finally { $c | Remove-Container -Force -Confirm:$false }
    }
    It 'Remove-Container -WhatIf removes nothing, even with -Force' {
        $c = New-Container busybox -Name (New-TestName 'whatif') sleep 1
        try {
            $c | Remove-Container -Force -WhatIf
            Get-Container -Id $c.Id | Should -Not -BeNullOrEmpty
        }
        finally { $c | Remove-Container -Confirm:$false }
    }
}

Describe 'Bad input gets a clear error and leaves nothing behind' {
    BeforeAll {
        function Get-Snapshot {
            [pscustomobject]@{
                Containers = @(Get-Container).Count
                Mounts     = @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$env:PODSHELL_GRAPHROOT*" }).Count
                Layers     = @(Get-ChildItem (Join-Path $env:PODSHELL_GRAPHROOT 'overlay') -Directory | Where-Object Name -ne 'l').Count
            }
        }
    }
    It '<Case> fails with <ErrorId>' -ForEach @(
        @{ Case = 'an unknown image'; ErrorId = 'ImageNotFound'; Script = { New-Container no-such-image sleep 1 } }
        @{ Case = "'12x' as memory"; ErrorId = 'InvalidByteSize'; Script = { New-Container busybox -Memory '12x' sleep 1 } }
        @{ Case = 'a negative CPU count'; ErrorId = 'InvalidCpus'; Script = { New-Container busybox -Cpus -1 sleep 1 } }
        @{ Case = 'a command missing from the image'; ErrorId = 'CommandNotFound'; Script = { New-Container busybox no-such-command } }
    ) {
        $before = Get-Snapshot
        { & $Script -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,PodShell.NewContainerCommand"
        $after = Get-Snapshot
        $after.Containers | Should -Be $before.Containers
        $after.Mounts | Should -Be $before.Mounts
        $after.Layers | Should -Be $before.Layers
    }
    It 'a duplicate name fails with ContainerNameInUse' {
        $n = New-TestName 'dup'
        $c = New-Container busybox -Name $n sleep 1
        try {
            $before = Get-Snapshot
            { New-Container busybox -Name $n sleep 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNameInUse,PodShell.NewContainerCommand'
            (Get-Snapshot).Mounts | Should -Be $before.Mounts
            $err = $null
            New-Container busybox -Name $n sleep 1 -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            $err[0].TargetObject | Should -Be $n
        }
        finally { $c | Remove-Container -Confirm:$false }
    }
    It 'acting on a removed container fails with ContainerNotFound (ObjectNotFound) and the pipeline goes on' {
        $a = New-Container busybox -Name (New-TestName 'gone') sleep 1
        $b = New-Container busybox -Name (New-TestName 'stay') sleep 1
        $a | Remove-Container -Confirm:$false
        $errs = $null
        $out = @($a, $b) | Start-Container -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ContainerNotFound,PodShell.StartContainerCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $out.Name | Should -Be $b.Name
        { Get-Container -Id $a.Id -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNotFound,PodShell.GetContainerCommand'
        $b | Remove-Container -Force -Confirm:$false
    }
    It 'an ordinary user without subordinate ids gets SubordinateIdsMissing when the user namespace is first needed' {
        $pwshDll = Join-Path $PSHOME 'pwsh.dll'
        $home2 = Join-Path $env:PODSHELL_TEST_ROOT 'nobody-home'
        New-Item -ItemType Directory -Force $home2 | Out-Null
        & chown 65534:65534 $home2
        # A real unprivileged uid (nobody has no /etc/subuid range); CAP_DAC_READ_SEARCH only so it can read pwsh from
        # root's NuGet cache. The rootless engine itself is tested as a real user with ranges in Rootless.Tests.ps1.
        $out = & setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search --ambient-caps=+dac_read_search `
            env "HOME=$home2" "DOTNET_CLI_HOME=$home2" "PODSHELL_GRAPHROOT=$home2/graph" "PODSHELL_RUNROOT=$home2/run" (Get-Command dotnet).Source $pwshDll -NoProfile -NonInteractive -Command `
            "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$env:PODSHELL_MODULE_PATH'; try { Import-ContainerImage -Path '$script:BusyboxRootfs' -Name bb -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category; `$_.Exception.Message }; 'containers=' + @(Get-Container).Count + ' images=' + @(Get-ContainerImage).Count" 2>&1
        ($out -join "`n") | Should -Match 'SubordinateIdsMissing,PodShell.ImportContainerImageCommand'
        ($out -join "`n") | Should -Match '/etc/subuid'
        ($out -join "`n") | Should -Match 'PermissionDenied'
        # Nothing half-made: the refused import left no image (and no layer) behind.
        ($out -join "`n") | Should -Match 'containers=0 images=0'
    }
}

Describe 'Several pwsh processes share one store' {
    It 'two processes creating containers at the same time all succeed with distinct names' {
        $script = {
            Import-Module $env:PODSHELL_MODULE_PATH
            1..5 | ForEach-Object { (New-Container busybox sleep 1 -ErrorAction Stop).Name }
        }
        $jobs = 1..2 | ForEach-Object { Start-Job -ScriptBlock $script }
        $names = $jobs | Wait-Job -Timeout 120 | Receive-Job -ErrorVariable jerr
        $jobs | Remove-Job -Force
        $jerr | Should -BeNullOrEmpty
        $names.Count | Should -Be 10
        ($names | Sort-Object -Unique).Count | Should -Be 10
        Get-Container -Name $names | Remove-Container -Confirm:$false
    }
    It 'a pwsh killed in the middle of New-Container leaves state the next Get-Container repairs' {
        $child = Start-Process -PassThru -FilePath (Get-Command dotnet).Source -ArgumentList @(
            (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$env:PODSHELL_MODULE_PATH'; 1..200 | ForEach-Object { New-Container busybox -Name killed-`$_ sleep 1 | Out-Null }")
        $deadline = (Get-Date).AddSeconds(60)
        # Three finished ones; the one being created when the kill lands is rolled back by the next Get-Container.
        while (@(Get-Container 'killed-*' | Where-Object State -eq 'Created').Count -lt 3 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()
        $all = @(Get-Container 'killed-*')
        $all.Count | Should -BeGreaterOrEqual 3
        $all.State | Sort-Object -Unique | Should -Be 'Created'
        $mounts = @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$env:PODSHELL_GRAPHROOT*" })
        foreach ($m in $mounts) {
            ($all.Id | Where-Object { $m -like "*$_*" }) -or (Get-Container | Where-Object { $m -like "*$($_.Id)*" }) | Should -BeTrue -Because "every mount must belong to a container: $m"
        }
        $all | Remove-Container -Confirm:$false
        @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*killed-*" }).Count | Should -Be 0
    }
    It 'a pwsh killed in the middle of Start-Container leaves state the next Get-Container repairs' {
        $names = 1..15 | ForEach-Object { (New-Container busybox -Name (New-TestName 'kstart') sleep infinity).Name }
        $child = Start-Process -PassThru -FilePath (Get-Command dotnet).Source -ArgumentList @(
            (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$env:PODSHELL_MODULE_PATH'; '$($names -join "','")' | ForEach-Object { Start-Container -Name `$_ }")
        $deadline = (Get-Date).AddSeconds(60)
        while (@(Get-Container -Name $names | Where-Object State -eq 'Running').Count -lt 3 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()
        $all = @(Get-Container -Name $names)
        $all.Count | Should -Be 15
        $all.State | Where-Object { $_ -notin 'Running', 'Created' } | Should -BeNullOrEmpty
        @($all | Where-Object State -eq 'Running').Count | Should -BeGreaterOrEqual 3
        foreach ($c in $all | Where-Object State -eq 'Running') { Test-Path "/proc/$($c.Pid)" | Should -BeTrue }
        $all | Remove-Container -Force -Confirm:$false
        foreach ($c in $all) { (Get-Content /proc/self/mountinfo) -like "*$($c.Id)*" | Should -BeNullOrEmpty }
        @(Get-Process conmon -ErrorAction Ignore | Where-Object { (Get-Content "/proc/$($_.Id)/cmdline" -Raw -ErrorAction Ignore) -match ($all.Id -join '|') }).Count | Should -Be 0
    }
}
