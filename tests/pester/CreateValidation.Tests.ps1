# Issue 15 item 7: what New-Container used to accept and runc refused only at start (RuntimeCreateFailed with
# runc's text) is refused by New-Container itself, each with its ErrorId and the bad value as TargetObject, and
# nothing is left behind. And a gzip bomb is not an image.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:dir = Join-Path $env:PODSHELL_TEST_ROOT "validate-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $script:dir | Out-Null

    # Runs New-Container with $Arguments and returns the error record; asserts no container of that name exists.
    function Get-CreateError([string] $Name, [hashtable] $Arguments) {
        $err = $null
        try { New-Container busybox -Name $Name @Arguments -ErrorAction Stop -- true | Remove-Container -Force -Confirm:$false }
        catch { $err = $_ }
        Get-Container -Name $Name -ErrorAction Ignore | Should -BeNullOrEmpty
        $err
    }
}

AfterAll {
    if ($script:dir -and (Test-Path $script:dir)) { Remove-Item -Recurse -Force $script:dir }
}

Describe 'New-Container refuses at create what cannot start' {
    It 'a -Volume whose source is a dangling symlink: BindSourceNotFound' {
        $link = Join-Path $script:dir 'dangling'
        New-Item -ItemType SymbolicLink -Path $link -Target (Join-Path $script:dir 'nowhere') | Out-Null
        $e = Get-CreateError (New-TestName 'v') @{ Volume = "${link}:/data" }
        $e.FullyQualifiedErrorId | Should -Be 'BindSourceNotFound,PodShell.NewContainerCommand'
        $e.TargetObject | Should -Be $link
    }

    It 'a 300-character hostname: InvalidHostname' {
        $e = Get-CreateError (New-TestName 'h') @{ Hostname = 'h' * 300 }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidHostname,PodShell.NewContainerCommand'
        $e.Exception.Message | Should -Match 'HOST_NAME_MAX'
    }

    It '-Tmpfs /proc and -Volume x:/proc: MountDestinationNotAllowed' {
        $e = Get-CreateError (New-TestName 't') @{ Tmpfs = '/proc' }
        $e.FullyQualifiedErrorId | Should -Be 'MountDestinationNotAllowed,PodShell.NewContainerCommand'
        $e = Get-CreateError (New-TestName 'p') @{ Volume = "$($script:dir):/proc" }
        $e.FullyQualifiedErrorId | Should -Be 'MountDestinationNotAllowed,PodShell.NewContainerCommand'
    }

    It 'a 5000-character name: InvalidContainerName' {
        $e = Get-CreateError ('n' * 5000) @{}
        $e.FullyQualifiedErrorId | Should -Be 'InvalidContainerName,PodShell.NewContainerCommand'
        $e.Exception.Message.Length | Should -BeLessThan 400
    }
}

Describe 'Import-ContainerImage and a decompression bomb' {
    It 'an empty tar followed by 64 MiB of zeros, gzip-compressed, is LayerPaddingTooLarge and registers nothing' {
        $bomb = Join-Path $script:dir 'bomb.tar.gz'
        $fs = [IO.File]::Create($bomb)
        try {
            $z = [IO.Compression.GZipStream]::new($fs, [IO.Compression.CompressionLevel]::Fastest)
            $zeros = [byte[]]::new(1MB)
            for ($i = 0; $i -lt 64; $i++) { $z.Write($zeros, 0, $zeros.Length) }
            $z.Dispose()
        }
        finally { $fs.Dispose() }
        (Get-Item $bomb).Length | Should -BeLessThan 1MB
        { Import-ContainerImage -Path $bomb -Name bomb-test -ErrorAction Stop } | Should -Throw -ErrorId 'LayerPaddingTooLarge,PodShell.ImportContainerImageCommand'
        Get-ContainerImage bomb-test -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'an empty tar with 8 KiB of padding is an image whose Size is the tar, not the padding' {
        $tar = Join-Path $script:dir 'empty.tar'
        [IO.File]::WriteAllBytes($tar, [byte[]]::new(1024 + 8KB))
        try {
            $img = Import-ContainerImage -Path $tar -Name empty-padded
            $img.Size | Should -Be 1024
        }
        finally { Remove-ContainerImage empty-padded -Force -Confirm:$false -ErrorAction Ignore }
    }
}
