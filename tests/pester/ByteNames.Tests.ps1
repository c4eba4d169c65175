# Issue 15 item 6: Linux file names are bytes. Every name the kernel allows (0xFF, 0x80, newline, tab, 255 bytes,
# a path deeper than ustar can hold) must survive Import-ContainerImage (directory and tar), the container that sees
# them, New-ContainerImage and Export-ContainerImage, byte for byte. Names are compared as hex of the bytes that
# find -print0 gives: PowerShell strings never carry them.
BeforeDiscovery {
    $script:HaveTools = @('bash', 'tar', 'od', 'find' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) }).Count -eq 0
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:dir = Join-Path $env:PODSHELL_TEST_ROOT "bytes-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $script:dir | Out-Null
    $script:rootfs = Join-Path $script:dir 'rootfs'
    & cp -a $script:BusyboxRootfs $script:rootfs
    # The names, made by bash from escapes; the deep one is 40 directories down.
    $deep = (1..40 | ForEach-Object { 'd{0:00}' -f $_ }) -join '/'
    $make = @'
set -e
cd "$1/names"
: > $'\xff'
: > $'caf\x80'
: > $'new\nline'
: > $'tab\tname'
: > "$(printf 'n%.0s' $(seq 255))"
mkdir -p "$2"
: > "$2/deep-"$'\xfe'
ln -s $'\xff' $'link-\xff'
'@
    New-Item -ItemType Directory -Path (Join-Path $script:rootfs 'names') | Out-Null
    & bash -c $make _ $script:rootfs $deep
    if ($LASTEXITCODE -ne 0) { throw 'making the names failed' }

    # Hex names (relative to $Root) of what find -print0 prints: the bytes, never decoded.
    function ConvertFrom-Print0([string[]] $OdLines) {
        $hex = (($OdLines -join ' ') -split '\s+' | Where-Object { $_ }) -join ''
        $names = [System.Collections.Generic.List[string]]::new()
        $cur = ''
        for ($i = 0; $i -lt $hex.Length; $i += 2) {
            $b = $hex.Substring($i, 2)
            if ($b -eq '00') { $names.Add($cur.ToUpperInvariant()); $cur = '' } else { $cur += $b }
        }
        $names | Sort-Object
    }
    # On the host: names below $Path, relative to it.
    function Get-HostNames([string] $Path) {
        ConvertFrom-Print0 (& bash -c 'cd "$1" && find . -mindepth 1 -printf "%P\0" | od -An -v -tx1' _ $Path)
    }
    # In a container of $Image: names below $Path, relative to it (busybox find has no -printf: strip the prefix).
    function Get-ContainerNames([string] $Image, [string] $Path) {
        $od = Invoke-Container $Image -AutoRemove -- sh -c "cd $Path && find . -mindepth 1 -print0 | od -An -v -tx1"
        ConvertFrom-Print0 $od | ForEach-Object { $_.Substring(4) } | Sort-Object   # drop "./" (2E2F)
    }
    $script:expected = Get-HostNames (Join-Path $script:rootfs 'names')
}

AfterAll {
    foreach ($i in 'bytes-dir', 'bytes-tar', 'bytes-commit') { Remove-ContainerImage $i -Force -Confirm:$false -ErrorAction Ignore }
    if ($script:dir -and (Test-Path $script:dir)) { & rm -rf --one-file-system $script:dir }
}

Describe 'File names of any bytes' -Skip:(-not $script:HaveTools) {
    It 'the fixture holds the names it should' {
        $script:expected.Count | Should -Be (6 + 40 + 1)   # six names, d01..d40, the deep file
        $script:expected | Should -Contain 'FF'
        $script:expected | Should -Contain '6E65770A6C696E65'    # new\nline
        $script:expected | Should -Contain ('6E' * 255)
    }

    It 'Import-ContainerImage of a directory keeps every name, as the container sees them' {
        Import-ContainerImage -Path $script:rootfs -Name bytes-dir | Out-Null
        Get-ContainerNames bytes-dir /names | Should -Be $script:expected
    }

    It 'Import-ContainerImage of a tar keeps every name' {
        $tar = Join-Path $script:dir 'rootfs.tar'
        & tar -C $script:rootfs -cf $tar .
        $LASTEXITCODE | Should -Be 0
        Import-ContainerImage -Path $tar -Name bytes-tar | Out-Null
        Get-ContainerNames bytes-tar /names | Should -Be $script:expected
    }

    It 'New-ContainerImage commits names a container made, and Export-ContainerImage writes them byte for byte' {
        $c = New-Container bytes-dir -Name (New-TestName 'bytes') -- sh -c 'mkdir /made && cd /made && touch "$(printf "\377")" "$(printf "a\nb")" "$(printf "c\200")" && rm "/names/$(printf "tab\tname")"'
        try {
            $c | Start-Container
            $c | Wait-Container | Should -Be 0
            New-ContainerImage $c.Name bytes-commit | Out-Null
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false }

        Get-ContainerNames bytes-commit /made | Should -Be @('610A62', '6380', 'FF')
        $left = $script:expected | Where-Object { $_ -ne '7461620A6E616D65' -and $_ -ne '746162096E616D65' }
        Get-ContainerNames bytes-commit /names | Should -Be $left

        # The exported top layer, unpacked by GNU tar: the new names, and the deleted one as a whiteout.
        $layout = Join-Path $script:dir 'layout'
        Export-ContainerImage bytes-commit -Path $layout -Format oci-dir
        $index = Get-Content (Join-Path $layout 'index.json') -Raw | ConvertFrom-Json
        $manifest = Get-Content (Join-Path $layout "blobs/sha256/$($index.manifests[0].digest.Substring(7))") -Raw | ConvertFrom-Json
        $top = $manifest.layers[-1].digest.Substring(7)
        $out = Join-Path $script:dir 'top'
        New-Item -ItemType Directory -Path $out | Out-Null
        & tar -C $out -xf (Join-Path $layout "blobs/sha256/$top")
        $LASTEXITCODE | Should -Be 0
        $names = Get-HostNames $out
        $names | Should -Contain ('6D616465' + '2F' + 'FF')           # made/\xff
        $names | Should -Contain ('6D616465' + '2F' + '610A62')       # made/a\nb
        $names | Should -Contain ('6D616465' + '2F' + '6380')         # made/c\x80
        $names | Should -Contain ('6E616D6573' + '2F' + '2E77682E' + '746162096E616D65')  # names/.wh.tab\tname
    }

    It 'Export-Container writes the names byte for byte' {
        $c = New-Container bytes-tar -Name (New-TestName 'bytes') -- true
        try {
            $tar = Join-Path $script:dir 'container.tar'
            Export-Container $c.Name -Path $tar
            $out = Join-Path $script:dir 'container-fs'
            New-Item -ItemType Directory -Path $out | Out-Null
            & tar -C $out -xf $tar names
            $LASTEXITCODE | Should -Be 0
            Get-HostNames (Join-Path $out 'names') | Should -Be $script:expected
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false }
    }

    It 'a damaged tar is InvalidLayerTar, never a raw exception' {
        $tar = Join-Path $script:dir 'damaged.tar'
        $bytes = [IO.File]::ReadAllBytes((Join-Path $script:dir 'rootfs.tar'))
        $bytes[148] = $bytes[148] -bxor 1   # the first header's checksum
        [IO.File]::WriteAllBytes($tar, $bytes)
        { Import-ContainerImage -Path $tar -Name bytes-damaged -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLayerTar,PodShell.ImportContainerImageCommand'
        Get-ContainerImage bytes-damaged -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}
