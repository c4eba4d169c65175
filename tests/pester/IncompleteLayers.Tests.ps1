BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Overlay = Join-Path $env:PODSHELL_GRAPHROOT 'overlay'
    # A root filesystem big enough (about 200 MB) that its import is caught half-way.
    $script:BigTar = Join-Path $env:PODSHELL_TEST_ROOT 'big-rootfs.tar'
    if (-not (Test-Path $script:BigTar)) {
        $src = Join-Path $env:PODSHELL_TEST_ROOT 'big-rootfs'
        New-Item -ItemType Directory -Force -Path "$src/data" | Out-Null
        $buf = [byte[]]::new(64KB)
        [Random]::new(15).NextBytes($buf)
        foreach ($i in 1..3200) { [IO.File]::WriteAllBytes("$src/data/f$i", $buf) }
        & tar -C $src -cf $script:BigTar .
        Remove-Item -Recurse -Force $src
    }
    function Get-Incomplete { @([IO.Directory]::GetDirectories($script:Overlay, '.incomplete-*')) }
    function Get-ImagesSize { (Get-ContainerStorageUsage | Where-Object Type -EQ 'Images').Size }
    # Starts Import-ContainerImage of the big tar in a child pwsh and stops it (SIGSTOP) once its layer is
    # half-written. Returns the process and the staging directory.
    function Start-StoppedImport([string] $Name) {
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$env:PODSHELL_MODULE_PATH'; Import-ContainerImage -Path '$script:BigTar' -Name $Name")) {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $old = Get-Incomplete
        $p = [Diagnostics.Process]::Start($psi)
        $deadline = [DateTime]::UtcNow.AddSeconds(90)
        $staging = $null
        while (-not $staging -and [DateTime]::UtcNow -lt $deadline -and -not $p.HasExited) {
            foreach ($d in Get-Incomplete | Where-Object { $_ -notin $old }) {
                if ((Test-Path "$d/diff/data") -and @([IO.Directory]::GetFiles("$d/diff/data")).Count -ge 300) { $staging = $d }
            }
            if (-not $staging) { Start-Sleep -Milliseconds 10 }
        }
        if ($staging) { & kill -STOP $p.Id }
        [pscustomobject]@{ Process = $p; Staging = $staging }
    }
    function Stop-Import($Import) {
        if (-not $Import.Process.HasExited) {
            & kill -KILL $Import.Process.Id
            $Import.Process.WaitForExit()
        }
    }
}

Describe 'A killed Import-ContainerImage (issue 15 item 3)' {
    It 'keeps and counts the layer of a live import, and the next engine call removes it once the importer is killed' {
        @(Get-Incomplete).Count | Should -Be 0
        $before = Get-ImagesSize
        $n = New-TestName 'big'
        $import = Start-StoppedImport $n
        try {
            $import.Staging | Should -Not -BeNullOrEmpty -Because 'the import was caught half-way'
            $bytes = (Get-ChildItem -LiteralPath $import.Staging -Recurse -File -Force | Measure-Object Length -Sum).Sum
            $bytes | Should -BeGreaterThan 10MB
            # The owner is alive (stopped): its directory stays, and is counted as what it is on disk.
            $during = Get-ImagesSize
            Test-Path -LiteralPath $import.Staging | Should -BeTrue
            ($during - $before) | Should -BeGreaterOrEqual $bytes

            Stop-Import $import
            Test-Path -LiteralPath $import.Staging | Should -BeTrue -Because 'SIGKILL leaves the staging directory'
            Get-ContainerStorageUsage | Out-Null
            Get-Incomplete | Should -BeNullOrEmpty
            Get-ContainerImage $n -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Get-ImagesSize | Should -Be $before
        }
        finally { Stop-Import $import }
    }

    It 'Clear-ContainerImage removes the layer left by a killed import' {
        $import = Start-StoppedImport (New-TestName 'big')
        try {
            $import.Staging | Should -Not -BeNullOrEmpty -Because 'the import was caught half-way'
            Stop-Import $import
            Test-Path -LiteralPath $import.Staging | Should -BeTrue
            Clear-ContainerImage -Confirm:$false
            Get-Incomplete | Should -BeNullOrEmpty
        }
        finally { Stop-Import $import }
    }
}

Describe 'A killed New-ContainerImage (issue 15)' {
    It 'leaves nothing in blobs/tmp or overlay/ after one Get-Container in a process that opened the store before' {
        Get-Container | Out-Null   # this process's engine has opened the store long before the kill
        $n = New-TestName 'commit'
        New-Container -Image busybox -Network none -Command sleep, 1000 -Name $n | Out-Null
        $big = Join-Path $env:PODSHELL_TEST_ROOT 'commit-big.bin'
        $buf = [byte[]]::new(96MB); [Random]::new(16).NextBytes($buf); [IO.File]::WriteAllBytes($big, $buf)
        Copy-ContainerItem $big "${n}:/big"
        $tmp = Join-Path $env:PODSHELL_GRAPHROOT 'blobs/tmp'
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$env:PODSHELL_MODULE_PATH'; New-ContainerImage -Container $n -Name $n-img")) {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        try {
            # Caught while its temp file (named after its pid) is being written, then SIGKILLed.
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            $temp = $null
            while (-not $temp -and [DateTime]::UtcNow -lt $deadline -and -not $p.HasExited) {
                $temp = @([IO.Directory]::GetFiles($tmp, "$($p.Id)-*") | Where-Object { (Get-Item -LiteralPath $_).Length -gt 1MB })[0]
                if (-not $temp) { Start-Sleep -Milliseconds 5 }
            }
            & kill -KILL $p.Id
            $p.WaitForExit()
            $temp | Should -Not -BeNullOrEmpty -Because 'the commit was caught writing its temp file'
            Test-Path -LiteralPath $temp | Should -BeTrue -Because 'SIGKILL leaves the temp file'

            Get-Container | Out-Null

            @([IO.Directory]::GetFiles($tmp, "$($p.Id)-*")) | Should -BeNullOrEmpty
            Get-Incomplete | Should -BeNullOrEmpty
            Get-ContainerImage "$n-img" -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            if (-not $p.HasExited) { & kill -KILL $p.Id; $p.WaitForExit() }
            Remove-Container -Name $n -Force -Confirm:$false -ErrorAction SilentlyContinue
            Remove-Item -Force $big -ErrorAction SilentlyContinue
        }
    }
}
