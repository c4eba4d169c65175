BeforeDiscovery {
    $script:HasPeers = @(Get-Command skopeo, umoci, podman -ErrorAction Ignore).Count -eq 3
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:dir = Join-Path $env:PODSHELL_TEST_ROOT "archive-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $script:dir | Out-Null
    # podman as a peer only (load/save/import), in its own roots; vfs so it mounts nothing. podman 4.3
    # refuses a runroot longer than 50 characters, so that one lives directly in /tmp.
    $script:podmanRunRoot = "/tmp/psa-run-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $script:podman = @('--root', (Join-Path $script:dir 'podman-root'), '--runroot', $script:podmanRunRoot,
        '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none')

    function Invoke-Peer([string] $Tool, [string[]] $Arguments) {
        $out = & $Tool @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$Tool $($Arguments -join ' ') failed ($LASTEXITCODE): $out" }
        $out
    }

    # Runs echo in a container of the image and returns what it printed.
    function Invoke-Image([string] $Image, [string] $Text) {
        $c = New-Container $Image -Name (New-TestName 'arch') -- /bin/echo $Text
        try {
            $c | Start-Container
            $c | Wait-Container | Should -Be 0
            @(Get-ContainerLog $c.Name | Where-Object Stream -eq 'stdout').Line
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false }
    }
}

AfterAll {
    if ($script:dir -and (Test-Path $script:dir)) {
        if (Get-Command podman -ErrorAction Ignore) { & podman @script:podman system reset -f *> $null }
        $mounts = @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$script:dir*" })
        if ($mounts.Count -eq 0) { Remove-Item -Recurse -Force $script:dir }
    }
    if ($script:podmanRunRoot -and (Test-Path $script:podmanRunRoot)) { Remove-Item -Recurse -Force $script:podmanRunRoot }
}

Describe 'Export-ContainerImage and Import-ContainerImage round trips' {
    It 'exports busybox as <Format>, re-imports it under its own name and runs it' -ForEach @(
        @{ Format = 'oci-archive'; File = 'bb-oci.tar' }
        @{ Format = 'docker-archive'; File = 'bb-docker.tar' }
        @{ Format = 'oci-dir'; File = 'bb-dir' }
    ) {
        $name = New-TestName 'rt'
        $src = Get-ContainerImage busybox
        $null = Import-ContainerImage -Path $script:BusyboxRootfs -Name $name
        $path = Join-Path $script:dir $File
        $out = Export-ContainerImage $name -Path $path -Format $Format -PassThru
        if ($Format -eq 'oci-dir') { $out | Should -BeOfType System.IO.DirectoryInfo } else { $out | Should -BeOfType System.IO.FileInfo }
        $out.FullName | Should -Be $path
        Remove-ContainerImage $name -Confirm:$false

        $img = @(Import-ContainerImage -Path $path)
        $img.Count | Should -Be 1
        $img[0].Names | Should -Contain "${name}:latest"
        Invoke-Image "${name}:latest" "hi-$Format" | Should -Be "hi-$Format"
        (Get-ContainerImage busybox).Id | Should -Be $src.Id
        Remove-ContainerImage $name -Confirm:$false
    }
    It 'writes the same bytes on a second export' {
        $a = Join-Path $script:dir 'twice-a.tar'; $b = Join-Path $script:dir 'twice-b.tar'
        Export-ContainerImage busybox -Path $a
        Export-ContainerImage busybox -Path $b
        (Get-FileHash $a).Hash | Should -Be (Get-FileHash $b).Hash
    }
    It 'exports nothing with -WhatIf' {
        $p = Join-Path $script:dir 'whatif.tar'
        Export-ContainerImage busybox -Path $p -WhatIf
        Test-Path $p | Should -BeFalse
    }
    It 'needs -Name for a root filesystem (NameRequired)' {
        { Import-ContainerImage -Path $script:BusyboxRootfs -ErrorAction Stop } |
            Should -Throw -ErrorId 'NameRequired,PodShell.ImportContainerImageCommand'
    }
    It 'refuses a tampered archive with DigestMismatch and registers nothing' {
        $dirPath = Join-Path $script:dir 'tamper'
        Export-ContainerImage busybox -Path $dirPath -Format oci-dir
        $index = Get-Content (Join-Path $dirPath 'index.json') -Raw | ConvertFrom-Json
        $manifest = Get-Content (Join-Path $dirPath "blobs/sha256/$($index.manifests[0].digest.Substring(7))") -Raw | ConvertFrom-Json
        $layer = Join-Path $dirPath "blobs/sha256/$($manifest.layers[0].digest.Substring(7))"
        $bytes = [IO.File]::ReadAllBytes($layer); $bytes[1000] = $bytes[1000] -bxor 0xff; [IO.File]::WriteAllBytes($layer, $bytes)
        $before = @(Get-ContainerImage).Count
        $name = New-TestName 'tamper'
        { Import-ContainerImage -Path $dirPath -Name $name -ErrorAction Stop } |
            Should -Throw -ErrorId 'DigestMismatch,PodShell.ImportContainerImageCommand'
        @(Get-ContainerImage).Count | Should -Be $before
    }
}

Describe 'Interoperability with skopeo, umoci and podman' -Skip:(-not $script:HasPeers) {
    BeforeAll {
        $script:ociTar = Join-Path $script:dir 'peer-oci.tar'
        $script:dockerTar = Join-Path $script:dir 'peer-docker.tar'
        $script:ociDir = Join-Path $script:dir 'peer-dir'
        Export-ContainerImage busybox -Path $script:ociTar
        Export-ContainerImage busybox -Path $script:dockerTar -Format docker-archive
        Export-ContainerImage busybox -Path $script:ociDir -Format oci-dir
    }

    It 'skopeo inspect accepts <Transport>' -ForEach @(
        @{ Transport = 'oci-archive'; Ref = { "oci-archive:$script:ociTar" } }
        @{ Transport = 'docker-archive'; Ref = { "docker-archive:$script:dockerTar" } }
        @{ Transport = 'oci'; Ref = { "oci:${script:ociDir}:busybox:latest" } }
    ) {
        $info = Invoke-Peer skopeo @('inspect', (& $Ref)) | Out-String | ConvertFrom-Json
        $info.Architecture | Should -Be 'amd64'
        $info.Os | Should -Be 'linux'
        @($info.Layers).Count | Should -Be 1
    }
    It 'umoci unpacks the OCI layout' {
        $bundle = Join-Path $script:dir 'umoci-bundle'
        Push-Location $script:dir
        try { Invoke-Peer umoci @('unpack', '--image', "${script:ociDir}:busybox:latest", $bundle) | Out-Null }
        finally { Pop-Location }
        Test-Path (Join-Path $bundle 'rootfs/bin/busybox') | Should -BeTrue
        Test-Path (Join-Path $bundle 'config.json') | Should -BeTrue
    }
    It 'podman load accepts our <Format>' -ForEach @(
        @{ Format = 'oci-archive'; Path = { $script:ociTar } }
        @{ Format = 'docker-archive'; Path = { $script:dockerTar } }
    ) {
        $out = Invoke-Peer podman ($script:podman + @('load', '-i', (& $Path)))
        ($out -join "`n") | Should -Match 'Loaded image.*busybox:latest'
    }
    It 'imports and runs what podman save wrote as <Format>' -ForEach @(
        @{ Format = 'oci-archive' }
        @{ Format = 'docker-archive' }
    ) {
        $rootfsTar = Join-Path $script:dir 'podman-rootfs.tar'
        if (-not (Test-Path $rootfsTar)) { & tar -C $script:BusyboxRootfs -cf $rootfsTar . }
        $tag = "localhost/psarch-$($Format):1"
        Invoke-Peer podman ($script:podman + @('import', $rootfsTar, $tag)) | Out-Null
        $saved = Join-Path $script:dir "podman-save-$Format.tar"
        Invoke-Peer podman ($script:podman + @('save', '--format', $Format, '-o', $saved, $tag)) | Out-Null

        $img = @(Import-ContainerImage -Path $saved)
        $img.Count | Should -Be 1
        $img[0].Names | Should -Contain $tag
        $img[0].Digest | Should -Not -Be "sha256:$($img[0].Id)"
        Invoke-Image $tag "from-podman-$Format" | Should -Be "from-podman-$Format"
        Remove-ContainerImage $tag -Confirm:$false
    }
    It 'imports and runs what skopeo copy wrote (oci: layout with tag "test")' {
        $layout = Join-Path $script:dir 'skopeo-layout'
        Invoke-Peer skopeo @('copy', "docker-archive:$script:dockerTar", "oci:${layout}:test") | Out-Null
        $name = New-TestName 'sk'
        $img = @(Import-ContainerImage -Path $layout -Name $name)
        $img.Count | Should -Be 1
        # The same image as busybox (same config), so it keeps that name too.
        $img[0].Names | Should -Contain "${name}:latest"
        Invoke-Image $name 'from-skopeo' | Should -Be 'from-skopeo'
        Remove-ContainerImage $name -Confirm:$false
    }
    It 'imports a gzip-compressed oci-archive made by skopeo' {
        $tar = Join-Path $script:dir 'skopeo-gzip.tar'
        Invoke-Peer skopeo @('copy', '--dest-compress-format', 'gzip', "oci:${script:ociDir}:busybox:latest", "oci-archive:${tar}:skgz:1") | Out-Null
        $img = @(Import-ContainerImage -Path $tar)
        $img[0].Names | Should -Contain 'skgz:1'
        Invoke-Image 'skgz:1' 'gz-layer' | Should -Be 'gz-layer'
        Remove-ContainerImage 'skgz:1' -Confirm:$false
    }
}
