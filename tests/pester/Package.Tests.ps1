# build.ps1 Package (issue 20 item 1): the .nupkg installs with PSResourceGet from a local folder repository, and
# Import-Module PodShell works by name in a fresh pwsh, as root and as an ordinary user, from the installed copy
# only: no checkout on the module path, no SDK command, the working directory the user's home.
# pwsh here is the repository's pinned 7.6 (a copy of its $PSHOME that every user can read, without PodShell in its
# Modules folder). pwsh 7.4 LTS cannot be tested here: NuGet serves the PowerShell tool only as 7.6.9, 7.6.10, 7.7.0.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    . (Join-Path $PSScriptRoot 'RootlessUser.ps1')
    $script:repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:manifest = Import-PowerShellDataFile (Join-Path $script:repoRoot 'PodShell.psd1')

    # The package from the module this run tests (build.ps1 Build made it; -NoBuild packages it as it is).
    $script:feed = Join-Path $env:PODSHELL_TEST_ROOT 'package-feed'
    $out = & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $script:repoRoot 'build.ps1') Package -NoBuild -PackagePath $script:feed 2>&1
    $script:packageExit = $LASTEXITCODE
    $script:packageOutput = $out -join "`n"
    $script:nupkg = Join-Path $script:feed "PodShell.$($script:manifest.ModuleVersion).nupkg"

    # A pwsh every user can start, without PodShell anywhere on its module path.
    $script:pwshHome = Join-Path $env:PODSHELL_TEST_ROOT 'package-pwsh'
    if (-not (Test-Path (Join-Path $script:pwshHome 'pwsh.dll'))) {
        & cp -a $PSHOME $script:pwshHome
        & chmod -R 'a+rX' $script:pwshHome
    }
    & chmod 0755 $env:PODSHELL_TEST_ROOT
    & chmod -R 'a+rX' $script:feed

    # Runs $Script with -File in a fresh pwsh (as $User when given), in a clean environment: HOME (and so the
    # CurrentUser module path and PSResourceGet's repository list) is $HomeDir. Returns ExitCode and Output lines.
    function Invoke-FreshPwsh([string] $Script, [string] $HomeDir, $User, [hashtable] $Environment = @{}) {
        $dir = Join-Path $HomeDir ".package-call-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'script.ps1') -Value $Script
        if ($User) { & chown -R "$($User.Uid):$($User.Gid)" $dir }
        $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        $argv = @('-c', 'exec "$@" </dev/null >"$0.out" 2>"$0.err"', (Join-Path $dir 'std'))
        if ($User) { $argv += '/usr/bin/setpriv', "--reuid=$($User.Uid)", "--regid=$($User.Gid)", '--init-groups', '--' }
        $argv += $script:RootlessDotnet, (Join-Path $script:pwshHome 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-NoLogo', '-File', (Join-Path $dir 'script.ps1')
        foreach ($a in $argv) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $HomeDir
        $psi.UseShellExecute = $false
        $psi.Environment.Clear()
        $psi.Environment['HOME'] = $HomeDir
        $psi.Environment['PATH'] = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin'
        $psi.Environment['LANG'] = 'C.UTF-8'
        $psi.Environment['TERM'] = 'dumb'
        $psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
        $psi.Environment['DOTNET_CLI_TELEMETRY_OPTOUT'] = '1'
        if ($User) { $psi.Environment['USER'] = $User.Name; $psi.Environment['LOGNAME'] = $User.Name }
        foreach ($k in $Environment.Keys) { $psi.Environment[[string] $k] = [string] $Environment[$k] }
        $p = [Diagnostics.Process]::Start($psi)
        try {
            if (-not $p.WaitForExit(180000)) { & kill -KILL $p.Id 2>$null; throw "pwsh did not finish within 180 s" }
            [pscustomobject]@{
                ExitCode = $p.ExitCode
                Output   = @(Get-Content -LiteralPath (Join-Path $dir 'std.out') -ErrorAction Ignore)
                StdErr   = [string] (Get-Content -Raw -LiteralPath (Join-Path $dir 'std.err') -ErrorAction Ignore)
            }
        }
        finally { $p.Dispose(); Remove-Item -Recurse -Force $dir -ErrorAction Ignore }
    }

    # What the user types, as the README says it, in two fresh pwsh processes: install, then use.
    $script:installScript = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PodShellLocal -Uri '$($script:feed)' -Trusted
Install-PSResource PodShell -Repository PodShellLocal -Scope CurrentUser
"@
    $script:useScript = @'
$ErrorActionPreference = 'Stop'
Import-Module PodShell
"base=$((Get-Module PodShell).ModuleBase)"
"commands=$((Get-Command -Module PodShell -CommandType Cmdlet).Count)"
"host=$(@(Test-ContainerHost -WarningAction SilentlyContinue | Where-Object Name -EQ conmon).Status)"
"images=$((@(Get-ContainerImage) | ForEach-Object { $_.Names }) -join ',')"
"help=$((Get-Help Get-Container).relatedLinks.navigationLink[0].uri)"
'@
}

Describe 'build.ps1 Package' {
    It 'makes the PodShell .nupkg, named after the module version, with the manifest, the assemblies, the native SQLite, formats, types and help' {
        $script:packageExit | Should -Be 0 -Because $script:packageOutput
        Test-Path $script:nupkg | Should -BeTrue
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($script:nupkg)
        try {
            $entries = @($zip.Entries | ForEach-Object FullName)
            foreach ($f in 'PodShell.psd1', 'PodShell.dll', 'PodShell.Engine.dll', 'libe_sqlite3.so', 'PodShell.format.ps1xml',
                'PodShell.Host.format.ps1xml', 'PodShell.types.ps1xml', 'en-US/PodShell.dll-Help.xml', 'en-US/about_PodShell.help.txt', 'PodShell.nuspec') {
                $entries | Should -Contain $f
            }
            # The doc-comment XML of the assemblies is for C# callers, not part of the module.
            $entries | Should -Not -Contain 'PodShell.Engine.xml'
            $reader = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'PodShell.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
            $nuspec.package.metadata.id | Should -Be 'PodShell'
            $nuspec.package.metadata.version | Should -Be $script:manifest.ModuleVersion
            $nuspec.package.metadata.projectUrl | Should -Be $script:manifest.PrivateData.PSData.ProjectUri
        }
        finally { $zip.Dispose() }
    }
}

Describe 'Install-PSResource PodShell from a local folder repository' {
    It 'as root: installs into the CurrentUser scope, and a fresh pwsh imports it by name and runs its cmdlets' {
        $homeDir = Join-Path $env:PODSHELL_TEST_ROOT 'package-root-home'
        New-Item -ItemType Directory -Force -Path $homeDir | Out-Null
        $install = Invoke-FreshPwsh -Script $script:installScript -HomeDir $homeDir
        $install.ExitCode | Should -Be 0 -Because $install.StdErr
        Test-Path (Join-Path $homeDir ".local/share/powershell/Modules/PodShell/$($script:manifest.ModuleVersion)/PodShell.psd1") | Should -BeTrue

        # The suite's own store: the installed module sees the busybox image this run imported.
        $use = Invoke-FreshPwsh -Script $script:useScript -HomeDir $homeDir -Environment @{
            PODSHELL_GRAPHROOT = $env:PODSHELL_GRAPHROOT; PODSHELL_RUNROOT = $env:PODSHELL_RUNROOT }
        $use.ExitCode | Should -Be 0 -Because $use.StdErr
        $use.Output | Should -Contain "base=$homeDir/.local/share/powershell/Modules/PodShell/$($script:manifest.ModuleVersion)"
        $use.Output | Should -Contain "commands=$($script:manifest.CmdletsToExport.Count)"
        $use.Output | Should -Contain 'host=Found'
        ($use.Output | Where-Object { $_ -like 'images=*' }) | Should -BeLike '*busybox:latest*'
        $use.Output | Should -Contain "help=$($script:manifest.PrivateData.PSData.ProjectUri)/blob/main/docs/Get-Container.md"
    }

    It 'as an ordinary user: installs into the user''s own module path, and a fresh pwsh imports it and runs its cmdlets' {
        $user = New-RootlessTestUser -Prefix 'pspkg'
        try {
            $install = Invoke-FreshPwsh -Script $script:installScript -HomeDir $user.Home -User $user
            $install.ExitCode | Should -Be 0 -Because $install.StdErr
            $use = Invoke-FreshPwsh -Script $script:useScript -HomeDir $user.Home -User $user
            $use.ExitCode | Should -Be 0 -Because $use.StdErr
            $use.Output | Should -Contain "base=$($user.Home)/.local/share/powershell/Modules/PodShell/$($script:manifest.ModuleVersion)"
            $use.Output | Should -Contain "commands=$($script:manifest.CmdletsToExport.Count)"
            $use.Output | Should -Contain 'host=Found'
            # The user's own (rootless) store: empty, and listing it is no error.
            $use.Output | Should -Contain 'images='
        }
        finally { Remove-RootlessTestUser -User $user | Out-Null }
    }
}
