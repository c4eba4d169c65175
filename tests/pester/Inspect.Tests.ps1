BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

Describe 'Looking inside a running container' {
    BeforeAll {
        $script:name = New-TestName 'insp'
        New-Container busybox -Name $script:name -Network none -PidsLimit 64 -- sh -c 'echo hi > /newfile; rm /bin/cat; mkdir -p /data/sub; echo x > /data/sub/f; dd if=/dev/zero of=/tmp/blob bs=1k count=64 2>/dev/null; sync; sleep 1000' | Out-Null
        Start-Container $script:name | Out-Null
        # The command writes its files before it sleeps.
        $deadline = (Get-Date).AddSeconds(20)
        while (-not ((Get-ContainerChange $script:name).Path -contains '/newfile') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'Get-ContainerStats samples the kernel figures' {
        $s = Get-ContainerStats $script:name -Interval 0.3
        $s | Should -BeOfType PodShell.ContainerStats
        $s.ContainerName | Should -Be $script:name
        $s.MemoryUsage | Should -BeGreaterThan 0
        $s.MemoryUsage | Should -Be $s.MemoryUsage
        $s.PidsCurrent | Should -BeGreaterOrEqual 1
        $s.PidsLimit | Should -Be 64
        $s.CpuUsage | Should -BeGreaterThan 0
        $s.CpuPercent | Should -BeGreaterOrEqual 0
        $s.MemoryLimit | Should -Be ([long]::MaxValue)
        $s.NetInputBytes | Should -Be 0   # only lo in a network=none container
    }
    It 'Get-ContainerStats -Stream goes on until stopped' {
        $samples = Get-ContainerStats $script:name -Stream -Interval 0.2 | Select-Object -First 3
        $samples.Count | Should -Be 3
        ($samples.Timestamp | Sort-Object -Unique).Count | Should -Be 3
    }
    It 'Get-ContainerStats takes containers from the pipeline' {
        (Get-Container $script:name | Get-ContainerStats -Interval 0.2).ContainerName | Should -Be $script:name
    }
    It 'Get-ContainerProcess lists the processes with host and container pids' {
        $p = @(Get-ContainerProcess $script:name)
        $sleep = $p | Where-Object Name -eq 'sleep'
        $sleep | Should -Not -BeNullOrEmpty
        $sleep.CommandLine | Should -Be 'sleep 1000'
        $sleep.User | Should -Be 'root'
        $sleep.MemoryRss | Should -BeGreaterThan 0
        $sleep.Pid | Should -Not -Be $sleep.ContainerPid
        ($p | Where-Object ContainerPid -eq 1) | Should -Not -BeNullOrEmpty
        (Get-Content "/proc/$($sleep.Pid)/comm") | Should -Be 'sleep'
    }
    It 'Get-ContainerChange reports additions, deletions and changed directories, not the engine files' {
        $changes = Get-ContainerChange $script:name
        $text = $changes | ForEach-Object { "$($_.Kind) $($_.Path)" }
        $text | Should -Contain 'Added /newfile'
        $text | Should -Contain 'Deleted /bin/cat'
        $text | Should -Contain 'Changed /bin'
        $text | Should -Contain 'Added /data/sub/f'
        $changes.Path | Should -Not -Contain '/etc/hosts'
        $changes.Path | Should -Not -Contain '/etc/resolv.conf'
        $changes.Path | Should -Not -Contain '/run/.containerenv'
        (Get-ContainerChange $script:name -Kind Deleted).Path | Should -Be '/bin/cat'
    }
    It 'renders <_> in 120 columns as a table and as a list' -ForEach 'Stats', 'Process', 'Change' {
        $objects = switch ($_) {
            'Stats' { @(Get-ContainerStats $script:name -Interval 0.2) }
            'Process' { @(Get-ContainerProcess $script:name) }
            'Change' { @(Get-ContainerChange $script:name) }
        }
        $objects | Should -Not -BeNullOrEmpty
        $err = $null
        $table = $objects | Format-Table -ShowError -ErrorVariable err | Out-String -Width 120
        $err | Should -BeNullOrEmpty
        $table | Should -Not -Match '#ERR'
        foreach ($line in $table -split "`r?`n") { $line.Length | Should -BeLessOrEqual 120 }
        $wide = ($objects | Format-Table | Out-String -Width 1000) -split "`r?`n" | Where-Object { $_ -match '^[\s-]+$' -and $_ -match '-' } | Select-Object -First 1
        $narrow = $table -split "`r?`n" | Where-Object { $_ -match '^[\s-]+$' -and $_ -match '-' } | Select-Object -First 1
        (-split $narrow).Count | Should -Be (-split $wide).Count
        $list = $objects | Format-List -ShowError -ErrorVariable err | Out-String -Width 120
        $err | Should -BeNullOrEmpty
        $list | Should -Not -Match '#ERR'
        $list | Should -Match 'ContainerName'
    }
}

Describe 'Set-ContainerResource' {
    BeforeAll {
        $script:name = New-TestName 'upd'
        New-Container busybox -Name $script:name -PidsLimit 100 -- sleep 1000 | Out-Null
        Start-Container $script:name | Out-Null
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'changes nothing with -WhatIf' {
        Set-ContainerResource $script:name -PidsLimit 5 -WhatIf
        (Get-ContainerCgroup $script:name).PidsMax | Should -Be 100
    }
    It 'writes the new limits to the cgroup and the record' {
        $cg = Set-ContainerResource $script:name -Memory 96MB -Cpus 0.5 -PidsLimit 8 -PassThru
        $cg.MemoryMax | Should -Be 96MB
        $cg.Cpus | Should -Be 0.5
        $cg.PidsMax | Should -Be 8
        $now = Get-ContainerCgroup $script:name
        $now.PidsMax | Should -Be 8
        $now.MemoryMax | Should -Be 96MB
        $c = Get-Container $script:name
        $c.PidsMax | Should -Be 8
        $c.Cpus | Should -Be 0.5
    }
    It 'is enforced by the kernel: forks beyond pids.max fail' {
        $err = $null
        Invoke-ContainerCommand $script:name -ErrorAction SilentlyContinue -ErrorVariable err -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done; echo started' | Out-Null
        ($err | Out-String) | Should -Match "can't fork"
        (Get-ContainerCgroup $script:name).PidsCurrent | Should -BeLessOrEqual 8
    }
    It 'lifts limits with max' {
        $cg = Set-ContainerResource $script:name -Memory max -Cpus 0 -PidsLimit 0 -PassThru
        $cg.MemoryMax | Should -Be ([long]::MaxValue)
        [double]::IsPositiveInfinity($cg.Cpus) | Should -BeTrue
        $cg.PidsMax | Should -Be ([long]::MaxValue)
    }
    It 'refuses a stopped container with ContainerNotRunning' {
        $stopped = New-TestName 'upd'
        New-Container busybox -Name $stopped -- true | Out-Null
        try {
            { Set-ContainerResource $stopped -PidsLimit 5 -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNotRunning,PodShell.SetContainerResourceCommand'
        } finally { Remove-Container $stopped -Force -Confirm:$false }
    }
}

Describe 'Commit, export and copy' {
    BeforeAll {
        $script:name = New-TestName 'cmt'
        $script:image = "$(New-TestName 'img'):v1"
        New-Container busybox -Name $script:name -- sh -c 'echo hi > /newfile; rm /bin/cat; ln -s /etc /evil; sleep 1000' | Out-Null
        Start-Container $script:name | Out-Null
        $deadline = (Get-Date).AddSeconds(20)
        while (-not ((Get-ContainerChange $script:name).Path -contains '/evil') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        $script:dir = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'io')
        New-Item -ItemType Directory $script:dir | Out-Null
    }
    AfterAll {
        Get-Container | Where-Object Image -like "$($script:image.Split(':')[0])*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-ContainerImage $script:image -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $script:dir -ErrorAction SilentlyContinue
    }

    It 'New-ContainerImage makes an image whose top layer is the diff and whose config has the changes' {
        $img = New-ContainerImage $script:name $script:image -Message 'from a test' -Change 'CMD=cat /newfile', 'ENV=FOO=bar', 'LABEL=made=by-test'
        $img | Should -BeOfType PodShell.ContainerImage
        $img.Layers.Count | Should -Be 2
        $img.Config.Labels['made'] | Should -Be 'by-test'
        $img.Config.Env | Should -Contain 'FOO=bar'
        Invoke-Container $script:image -Rm | Should -Be 'hi'
        Invoke-Container $script:image -Rm -- sh -c 'test -e /bin/cat && echo present || echo gone' | Should -Be 'gone'
    }
    It 'the committed layer has OCI whiteouts and no engine placeholders, and exports' {
        $tar = Join-Path $script:dir 'img.tar'
        Export-ContainerImage $script:image -Path $tar
        $x = Join-Path $script:dir 'x'
        New-Item -ItemType Directory $x | Out-Null
        tar -C $x -xf $tar
        $index = Get-Content (Join-Path $x 'index.json') | ConvertFrom-Json
        $manifest = Get-Content (Join-Path $x "blobs/sha256/$($index.manifests[0].digest.Split(':')[1])") | ConvertFrom-Json
        $manifest.layers.Count | Should -Be 2
        $top = Join-Path $x "blobs/sha256/$($manifest.layers[1].digest.Split(':')[1])"
        $entries = tar -tf $top
        $entries | Should -Contain 'bin/.wh.cat'
        $entries | Should -Contain 'newfile'
        $entries | Should -Not -Contain 'etc/hosts'
        $entries | Should -Not -Contain 'etc/hostname'
        $entries | Should -Not -Contain 'run/.containerenv'
    }
    It 'the committed image loads in podman' {
        $tar = Join-Path $script:dir 'img-podman.tar'
        Export-ContainerImage $script:image -Path $tar -Format oci-archive
        # podman as a peer only, in roots of its own (vfs: it mounts nothing); podman 4.3 wants a short run root.
        $run = "/tmp/psi-run-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $peer = @('--root', (Join-Path $script:dir 'podman-root'), '--runroot', $run, '--storage-driver', 'vfs')
        try {
            $out = & podman @peer load -i $tar 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            (& podman @peer images --format '{{.Id}}' 2>&1) | Should -Not -BeNullOrEmpty
        }
        finally {
            & podman @peer system reset -f *> $null
            if (Test-Path $run) { Remove-Item -Recurse -Force $run }
        }
    }
    It 'Export-Container writes the root filesystem as a tar' {
        $tar = Join-Path $script:dir 'fs.tar'
        Export-Container $script:name -Path $tar -PassThru | Should -BeOfType System.IO.FileInfo
        $entries = tar -tf $tar
        $entries | Should -Contain 'newfile'
        $entries | Should -Contain 'bin/busybox'
        $entries | Should -Not -Contain 'bin/cat'
    }
    It 'Copy-ContainerItem copies out and in' {
        Copy-ContainerItem "$($script:name):/newfile" (Join-Path $script:dir 'out.txt')
        Get-Content (Join-Path $script:dir 'out.txt') | Should -Be 'hi'
        Set-Content (Join-Path $script:dir 'in.txt') 'from host'
        Copy-ContainerItem (Join-Path $script:dir 'in.txt') "$($script:name):/tmp/"
        Invoke-ContainerCommand $script:name -- busybox cat /tmp/in.txt | Should -Be 'from host'
    }
    It 'copies whole directories, and their contents with /.' {
        $src = Join-Path $script:dir 'tree'
        New-Item -ItemType Directory (Join-Path $src 'a/b') -Force | Out-Null
        Set-Content (Join-Path $src 'a/b/c.txt') 'deep'
        # Into an existing directory the tree keeps its name; to a new path it takes that name.
        Copy-ContainerItem $src "$($script:name):/tmp"
        Invoke-ContainerCommand $script:name -- busybox cat /tmp/tree/a/b/c.txt | Should -Be 'deep'
        Copy-ContainerItem $src "$($script:name):/opt"
        Invoke-ContainerCommand $script:name -- busybox cat /opt/a/b/c.txt | Should -Be 'deep'
        New-Item -ItemType Directory (Join-Path $script:dir 'back') | Out-Null
        Copy-ContainerItem "$($script:name):/tmp/tree/." (Join-Path $script:dir 'back')
        Get-Content (Join-Path $script:dir 'back/a/b/c.txt') | Should -Be 'deep'
    }
    It 'resolves symlinks inside the container: a link to /etc never writes the host /etc' {
        $marker = "podshell-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Set-Content (Join-Path $script:dir 'evil.txt') 'contained'
        Copy-ContainerItem (Join-Path $script:dir 'evil.txt') "$($script:name):/evil/$marker"
        Test-Path "/etc/$marker" | Should -BeFalse
        Invoke-ContainerCommand $script:name -- busybox cat "/etc/$marker" | Should -Be 'contained'
    }
    It 'a copy into a dangling symlink names the path inside the container, never the host overlay path' {
        # /dangling -> /nonexistent/dir: the copy follows the link inside the root, whose parent is missing.
        $link = Join-Path $script:dir 'dangling'
        New-Item -ItemType SymbolicLink -Path $link -Target '/nonexistent/dir' | Out-Null
        Copy-ContainerItem $link "$($script:name):/"
        Set-Content (Join-Path $script:dir 'f.txt') 'x'
        $stopped = New-Container busybox -Name (New-TestName 'dang') -Network none -- true
        try {
            Copy-ContainerItem $link "$($stopped.Name):/"
            foreach ($ctr in $script:name, $stopped.Name) {
                $err = $null
                try { Copy-ContainerItem (Join-Path $script:dir 'f.txt') "${ctr}:/dangling" -ErrorAction Stop } catch { $err = $_ }
                $err | Should -Not -BeNullOrEmpty
                $err.FullyQualifiedErrorId | Should -Be 'DestinationParentNotFound,PodShell.CopyContainerItemCommand'
                $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
                $err.Exception.Message | Should -Not -Match '/merged|overlay'
                $err.Exception.Message | Should -Match '/dangling'
                Test-Path '/nonexistent/dir' | Should -BeFalse
            }
        }
        finally { Remove-Container $stopped.Name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'reports a missing source in the container as PathNotFoundInContainer' {
        { Copy-ContainerItem "$($script:name):/no/such" $script:dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFoundInContainer,PodShell.CopyContainerItemCommand'
    }
}

Describe 'Get-ContainerNamespace -ProcessId' {
    BeforeAll {
        $script:name = New-TestName 'ns'
        $script:ctr = New-Container busybox -Name $script:name -- sleep 1000 | Start-Container -PassThru
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'reads any host process and matches the calling process for pwsh itself' {
        $ns = Get-ContainerNamespace -ProcessId $PID
        ($ns | Where-Object Type -eq 'net').SharedWithHost | Should -BeTrue
        $ns.Pid | Sort-Object -Unique | Should -Be $PID
        $ns.ContainerName | Sort-Object -Unique | Should -BeNullOrEmpty
    }
    It 'names the container when the pid is its init, and compares with the container view' {
        $c = Get-Container $script:name
        $byPid = Get-ContainerNamespace -ProcessId $c.Pid -Type net
        $byPid.ContainerName | Should -Be $script:name
        $byPid.Inode | Should -Be (Get-ContainerNamespace $script:name -Type net).Inode
        $byPid.SharedWithHost | Should -BeFalse
    }
    It 'a process started by exec shares the namespaces of the container' {
        $sleep = Get-ContainerProcess $script:name | Where-Object ContainerPid -eq 1
        (Get-ContainerNamespace -ProcessId $sleep.Pid -Type pid).Inode | Should -Be (Get-ContainerNamespace $script:name -Type pid).Inode
    }
    It 'reports a missing process as ProcessNotFound' {
        { Get-ContainerNamespace -ProcessId 2147483646 -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,PodShell.GetContainerNamespaceCommand'
    }
}


Describe 'Get-ContainerStorageUsage' {
    It 'reports images, containers and volumes, and counts a new container layer' {
        $before = Get-ContainerStorageUsage
        $before.Type | Should -Be @('Images', 'Containers', 'Volumes')
        ($before | Where-Object Type -eq 'Images').Size | Should -BeGreaterThan 0
        $name = New-TestName 'df'
        try {
            New-Container busybox -Name $name -- sh -c 'dd if=/dev/zero of=/big bs=1k count=512 2>/dev/null' | Start-Container | Out-Null
            Wait-Container $name | Out-Null
            $after = Get-ContainerStorageUsage
            $ctr = $after | Where-Object Type -eq 'Containers'
            $ctr.Total | Should -Be (($before | Where-Object Type -eq 'Containers').Total + 1)
            $ctr.Size - ($before | Where-Object Type -eq 'Containers').Size | Should -BeGreaterOrEqual 512KB
            $ctr.Reclaimable | Should -BeGreaterOrEqual 512KB
            ($after | Where-Object Type -eq 'Images').Active | Should -BeGreaterOrEqual 1
            foreach ($u in $after) { $u.Reclaimable | Should -BeLessOrEqual $u.Size }
            ($after | Format-Table | Out-String -Width 120) | Should -Not -Match '#ERR'
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}
