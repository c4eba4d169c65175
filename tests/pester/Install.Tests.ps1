Describe 'build.ps1 Install' {
    It 'installs the built module where Import-Module PodShell finds it by name' {
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $modules = Join-Path $env:PODSHELL_TEST_ROOT 'install-modules'
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $repo 'build.ps1') Install -InstallPath $modules | Out-Null
        $LASTEXITCODE | Should -Be 0
        Test-Path (Join-Path $modules 'PodShell/PodShell.psd1') | Should -BeTrue
        # A fresh pwsh, by name only, with the install folder on its module path.
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module PodShell; (Get-Module PodShell).ModuleBase; (Get-Command -Module PodShell).Count"
        $out[0] | Should -Be (Join-Path $modules 'PodShell')
        [int]$out[1] | Should -BeGreaterOrEqual 14
    }
    It 'installs by default into a folder that is on a fresh pwsh''s module path' {
        $default = if ((& id -u) -eq '0') { '/usr/local/share/powershell/Modules' } else { "$HOME/.local/share/powershell/Modules" }
        $paths = & dotnet pwsh -NoProfile -NonInteractive -Command '$env:PSModulePath'
        ($paths -split [IO.Path]::PathSeparator) | Should -Contain $default
    }
}
