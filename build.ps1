#!/usr/bin/env pwsh
<#
.SYNOPSIS
PodShell's build: Bootstrap, Build, Test, Demo, Install, Package, Bench and Stress (on demand, never in CI).

.DESCRIPTION
  dotnet tool restore && dotnet pwsh ./build.ps1 Demo    # the article's lab, done with PodShell
  dotnet tool restore && dotnet pwsh ./build.ps1 Test    # xunit + Pester; ends with "N passed, N failed, N skipped"
Bootstrap installs what is missing (apt-get, as root) and says what it installs: the runtime packages for Build,
Install and Demo, the test-only ones too for Test, Bench and Bootstrap itself (the two lists below). Build publishes the
importable module to module/PodShell. Install copies it where Import-Module PodShell finds it. Package builds it and
makes PodShell.<version>.nupkg, as the PowerShell Gallery packages a module, in a folder that is a local PSResourceGet
repository (Register-PSResourceRepository -Uri <folder>; Install-PSResource PodShell).
#>
param(
    [Parameter(Position = 0)]
    [ValidateSet('Bootstrap', 'Build', 'Test', 'Demo', 'Install', 'Package', 'Bench', 'Stress')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Install: a modules folder to install into instead of the user's or the system's module path.
    [string] $InstallPath,
    # Package: the folder the .nupkg goes to (a local PSResourceGet repository), ./package by default.
    [string] $PackagePath,
    # Package: package the module already in module/PodShell instead of building it first (the tests do).
    [switch] $NoBuild,
    # Bench: which scenarios of bench/run.ps1 to run, e.g. 2,5,6 (all by default).
    [string] $BenchScenario = '1,2,3,4,5,6,7,8'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$ModuleDir = Join-Path $Root 'module/PodShell'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# What build.ps1 installs on a fresh Debian 12, as two lists: package = how to tell it is there (a program looked up
# in PATH and the sbin and podman helper directories, a path, or a script block). Every program the engine or the
# tests start is in a list, or comes with Debian 12's Essential or priority-required packages, which every
# installation has: coreutils, util-linux (nsenter, unshare, setpriv, flock, su), mount (mount, umount), tar, gzip,
# findutils, dash (sh), libc-bin (getent), passwd (useradd, userdel, for the rootless tests' throwaway users).
# Runtime: what the module starts. Build, Install and Demo need only these.
$RuntimePackages = [ordered]@{
    runc = 'runc'; crun = 'crun'; conmon = 'conmon'
    # -Init's init and the rootless pause process.
    catatonit = 'catatonit'
    # User networks with DNS: netavark sets them up and starts aardvark-dns (Debian puts both in /usr/lib/podman).
    netavark = '/usr/lib/podman/netavark'; 'aardvark-dns' = '/usr/lib/podman/aardvark-dns'
    # The in-process bridge driver's firewall (iptables-restore, iptables-save) and netavark's.
    iptables = 'iptables-restore'
    # Rootless: newuidmap/newgidmap, the user-mode network, and overlay where the kernel refuses it unprivileged.
    uidmap = 'newuidmap'; slirp4netns = 'slirp4netns'; 'fuse-overlayfs' = 'fuse-overlayfs'
    # The Demo's image (and the tests'): the host's static busybox.
    'busybox-static' = '/bin/busybox'
}
# Test-only: what the tests and the benchmark start besides the module. Test and Bench install both lists.
$TestPackages = [ordered]@{
    # Peers for interoperability, a registry server and its htpasswd, TTYs, and the benchmark.
    podman = 'podman'; skopeo = 'skopeo'; umoci = 'umoci'; 'docker-registry' = 'docker-registry'; 'apache2-utils' = 'htpasswd'
    tmux = 'tmux'; hyperfine = 'hyperfine'
    # ip (the network tests look at links and addresses), kill (the rootless tests), the sqlite3 shell (a second
    # writer holding the state database's lock): priority important/optional, so absent from a minimal Debian.
    iproute2 = 'ip'; procps = 'kill'; sqlite3 = 'sqlite3'
    # The byte-name tests build and read tars with Python's tarfile, apart from our own tar code.
    python3 = 'python3'
    # Remoting over SSH (Serialization.Tests): the test starts its own sshd on 127.0.0.1 with a temporary host key and
    # configuration; the package's own service is never used (Debian's policy-rc.d may keep apt from starting it).
    'openssh-server' = '/usr/sbin/sshd'
    # The cgroup v2 guest: QEMU and a Debian kernel with its modules.
    'qemu-system-x86' = 'qemu-system-x86_64'
    'linux-image-amd64' = { @(Get-ChildItem /boot -Filter 'vmlinuz-*' -ErrorAction Ignore | Where-Object {
                Test-Path "/lib/modules/$($_.Name.Substring('vmlinuz-'.Length))" }).Count -gt 0 }
}

function Test-HostPackage {
    param($Probe)
    if ($Probe -is [scriptblock]) { return [bool] (& $Probe) }
    # File.Exists, not Test-Path: a PATH entry this user may not read (another user's ~/bin) is "not there", not an error.
    if ($Probe.StartsWith('/')) { return [IO.File]::Exists($Probe) -or [IO.File]::Exists("/usr$Probe") }
    # An ordinary user's PATH has no sbin directory: look there too (runc and iptables live in /usr/sbin).
    $dirs = @(($env:PATH -split ':') + @('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin') | Where-Object { $_ })
    foreach ($d in $dirs) { if ([IO.File]::Exists([IO.Path]::Combine($d, $Probe))) { return $true } }
    $false
}

function Invoke-Bootstrap {
    # -Tests: the test-only packages too (Test, Bench and Bootstrap itself); Build, Install and Demo only the runtime's.
    param([switch] $Tests)
    $lists = @($RuntimePackages) + @(if ($Tests) { $TestPackages })
    $wanted = @($lists | ForEach-Object { $_.Keys })
    $missing = @($lists | ForEach-Object { $l = $_; $l.Keys | Where-Object { -not (Test-HostPackage $l[$_]) } })
    if ($missing.Count -gt 0) {
        if ((& id -u) -ne '0') {
            $runtimeMissing = @($missing | Where-Object { $RuntimePackages.Contains($_) })
            $testMissing = @($missing | Where-Object { -not $RuntimePackages.Contains($_) })
            $what = @(if ($runtimeMissing) { "the module needs $($runtimeMissing -join ', ')" }) + @(if ($testMissing) { "the tests need $($testMissing -join ', ')" })
            throw "Missing Debian packages: $($what -join '; '). Run build.ps1 as root, or install them: sudo apt-get install --no-install-recommends $($missing -join ' ')"
        }
        Write-Host "Bootstrap: installing $($missing -join ', ') with apt-get"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
        $still = @($lists | ForEach-Object { $l = $_; $l.Keys | Where-Object { -not (Test-HostPackage $l[$_]) } })
        if ($still.Count -gt 0) { throw "Bootstrap: apt-get installed $($missing -join ' '), but $($still -join ', ') is still not found where build.ps1 looks." }
    }
    else {
        Write-Host "Bootstrap: all host packages are present ($($wanted -join ', '))"
    }
    # Pester 6 comes from NuGet into the package cache (tools/restore has only a PackageDownload).
    $script:PesterPath = Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages/pester/6.2.0/tools/Pester.psd1'
    if ($env:NUGET_PACKAGES) { $script:PesterPath = Join-Path $env:NUGET_PACKAGES 'pester/6.2.0/tools/Pester.psd1' }
    if (-not (Test-Path $script:PesterPath)) {
        Write-Host 'Bootstrap: restoring Pester 6.2.0 from NuGet'
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/restore/tools.csproj'), '--nologo', '-v', 'q')
    }
}

function Invoke-Build {
    Write-Host "Build: publishing the module to $ModuleDir"
    if (Test-Path $ModuleDir) { Remove-Item -Recurse -Force $ModuleDir }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/PodShell/PodShell.csproj'), '-c', $Configuration,
        '-r', 'linux-x64', '--self-contained', 'false', '-o', $ModuleDir, '--nologo', '-v', 'q', '-p:DebugType=none')
    Copy-Item (Join-Path $Root 'PodShell.psd1') $ModuleDir -Force
    Invoke-ReadyToRun
    # The help generator imports the module, so it runs in its own process.
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'build/New-MamlHelp.ps1'),
        '-ModulePath', $ModuleDir, '-DocsPath', (Join-Path $Root 'docs'))
    Write-Host "Build: done. Import-Module $ModuleDir"
}

# ReadyToRun: native code in the module's assemblies, so a fresh pwsh does not JIT-compile the engine, SQLite and
# the cmdlets on its first container (about 1,000 methods there; that call's CPU drops by about a third, which
# several processes starting containers at once on a small host pay together). The SDK's PublishReadyToRun cannot be used: for a net8.0 library it
# runs crossgen2 8, whose R2R format the .NET 10 runtime under pwsh 7.6 refuses (it JIT-compiles everything), and
# crossgen2 10 cannot compile against the net8 runtime pack. So the published assemblies are compiled here for the
# runtime of the pwsh running this build (the repo's pwsh tool), against that runtime's own framework. A runtime of
# another major version refuses the R2R code and JIT-compiles the IL, exactly as without this step; the module
# still loads everywhere it did. Any failure here only warns and leaves the IL as published.
function Invoke-ReadyToRun {
    $rt = [Environment]::Version
    $version = "$($rt.Major).$($rt.Minor).$($rt.Build)"
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $crossgen = Join-Path $packages "microsoft.netcore.app.crossgen2.linux-x64/$version/tools/crossgen2"
    if (-not (Test-Path $crossgen)) {
        Write-Host "Build: restoring crossgen2 $version from NuGet (ReadyToRun for the .NET $version runtime)"
        $tmp = Join-Path ([IO.Path]::GetTempPath()) ("podshell-crossgen2-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $tmp | Out-Null
        try {
            Set-Content (Join-Path $tmp 'crossgen2.csproj') @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net$($rt.Major).$($rt.Minor)</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Microsoft.NETCore.App.Crossgen2.linux-x64" Version="[$version]" /></ItemGroup>
</Project>
"@
            & dotnet restore (Join-Path $tmp 'crossgen2.csproj') --nologo -v q | Out-Host
        }
        finally { Remove-Item -Recurse -Force $tmp -ErrorAction Ignore }
        if (-not (Test-Path $crossgen)) { Write-Warning "Build: no crossgen2 $version; the module is left without ReadyToRun code (slower first call in each pwsh)."; return }
    }
    $framework = [Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $sma = Join-Path $PSHOME 'System.Management.Automation.dll'
    $out = Join-Path ([IO.Path]::GetTempPath()) ("podshell-r2r-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $out | Out-Null
    try {
        $compiled = 0
        $dlls = @(Get-ChildItem $ModuleDir -Filter *.dll)
        foreach ($dll in $dlls) {
            $target = Join-Path $out $dll.Name
            # crossgen2 refuses a reference that is also the input.
            $refs = @('-r', (Join-Path $framework '*.dll'), '-r', $sma) + @($dlls | Where-Object Name -ne $dll.Name | ForEach-Object { '-r', $_.FullName })
            $log = & $crossgen $dll.FullName -o $target -O --targetos linux --targetarch x64 @refs 2>&1
            if ($LASTEXITCODE -ne 0 -or -not (Test-Path $target)) { Write-Warning "Build: ReadyToRun of $($dll.Name) failed, kept as IL: $($log | Select-Object -Last 3)"; continue }
            $compiled++
        }
        Get-ChildItem $out -Filter *.dll | Copy-Item -Destination $ModuleDir -Force
        Write-Host "Build: ReadyToRun code for .NET $version in $compiled assemblies"
    }
    finally { Remove-Item -Recurse -Force $out -ErrorAction Ignore }
}

# The cgroup v2 guest (issue 14): this host may be v1 or hybrid, most users run pure v2. QEMU boots the installed
# Debian kernel with this machine's root shared read-only and a pure cgroup2 hierarchy, and one pwsh in it runs
# tests/pester-v2 (build/CgroupV2Guest). Skipped, with the reason, where qemu or a kernel is missing.
function Invoke-CgroupV2Tests([string] $ResultsPath) {
    Write-Host 'Test: cgroup v2 guest (QEMU, tests/pester-v2)'
    $r = & (Join-Path $Root 'build/CgroupV2Guest/Start-CgroupV2Guest.ps1') -Repo $Root -ModulePath $ModuleDir -PesterPath $script:PesterPath -ResultsPath $ResultsPath
    switch ($r.Status) {
        'Skipped' { Write-Host "cgroup v2 guest: skipped: $($r.Reason)" }
        default {
            Write-Host ("cgroup v2 guest ({0}): {1} passed, {2} failed, {3} skipped; boot {4} s, pwsh start {5} s, tests {6} s, {7} s in all" -f
                $r.Accel.ToUpper(), $r.Passed, $r.Failed, $r.Skipped, $r.BootSeconds, $r.PwshStartSeconds, $r.RunSeconds, $r.Seconds)
            if ($r.Reason) { Write-Host "cgroup v2 guest failed: $($r.Reason)" }
            foreach ($f in @($r.Failures)) { Write-Host "  [-] $($f.Name): $($f.Message)" }
            foreach ($k in @($r.Skips)) { Write-Host "  [!] $($k.Name): $($k.Reason)" }
        }
    }
    $r
}

function Invoke-Test {
    $results = Join-Path $Root 'TestResults'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    New-Item -ItemType Directory -Path $results | Out-Null

    Write-Host 'Test: xunit (engine)'
    & dotnet test (Join-Path $Root 'tests/PodShell.Engine.Tests/PodShell.Engine.Tests.csproj') -c $Configuration --nologo `
        --logger 'trx;LogFileName=engine.trx' --results-directory $results
    $xunitExit = $LASTEXITCODE
    $xPassed = 0; $xFailed = 0; $xSkipped = 0
    $trx = Get-ChildItem $results -Filter *.trx -Recurse | Select-Object -First 1
    if ($trx) {
        [xml] $doc = Get-Content -Raw $trx.FullName
        $counters = $doc.TestRun.ResultSummary.Counters
        $xPassed = [int] $counters.passed
        $xFailed = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        # A test that asked the machine and skipped (xunit's Skip) is a result with outcome NotExecuted; the trx's
        # counters leave it out (only the total has it).
        $xSkipped = $doc.SelectNodes("//*[local-name()='UnitTestResult'][@outcome='NotExecuted']").Count
    }
    elseif ($xunitExit -ne 0) { $xFailed = 1 }

    Write-Host 'Test: Pester (cmdlets, end to end)'
    $summary = Join-Path $results 'pester-summary.json'
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests/pester/run.ps1') -PesterPath $script:PesterPath -SummaryPath $summary
    $pPassed = 0; $pFailed = 0; $pSkipped = 0
    if (Test-Path $summary) {
        $s = Get-Content -Raw $summary | ConvertFrom-Json
        $pPassed = [int] $s.Passed; $pFailed = [int] $s.Failed; $pSkipped = [int] $s.Skipped
        # A run that reports nothing did not run: never let that pass as green.
        if ($null -eq $s.Passed -or ($pPassed + $pFailed) -eq 0) { $pFailed = [Math]::Max($pFailed, 1); Write-Host 'Pester reported no results.' }
    }
    else { $pFailed = 1; Write-Host 'Pester did not report a summary (the run failed before its end).' }

    $v2 = Invoke-CgroupV2Tests -ResultsPath $results

    $passed = $xPassed + $pPassed + $v2.Passed
    $failed = $xFailed + $pFailed + $v2.Failed
    $skipped = $xSkipped + $pSkipped + $v2.Skipped
    Write-Host "xunit: $xPassed passed, $xFailed failed, $xSkipped skipped; Pester: $pPassed passed, $pFailed failed, $pSkipped skipped; cgroup v2 guest: $($v2.Passed) passed, $($v2.Failed) failed, $($v2.Skipped) skipped"
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

# pwsh on Linux puts both of these in $env:PSModulePath: AllUsers scope for root, CurrentUser otherwise.
function Get-DefaultInstallPath {
    if ((& id -u) -eq '0') { '/usr/local/share/powershell/Modules' }
    else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.local/share/powershell/Modules' }
}

function Invoke-Install {
    $target = if ($InstallPath) { $InstallPath } else { Get-DefaultInstallPath }
    $dest = Join-Path $target 'PodShell'
    if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Recurse $ModuleDir $dest
    Write-Host "Install: PodShell installed to $dest; Import-Module PodShell now finds it."
}

# The module as the PowerShell Gallery packages it (Compress-PSResource of PSResourceGet, which pwsh 7.4+ ships): the
# manifest, the assemblies and the native SQLite library, the formats, types and help. Left out: the assemblies'
# XML doc comments (IntelliSense files for C# callers; nothing in PowerShell reads them).
function Invoke-Package {
    $target = if ($PackagePath) { $PackagePath } else { Join-Path $Root 'package' }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    $target = (Resolve-Path -LiteralPath $target).ProviderPath
    $manifest = Import-PowerShellDataFile (Join-Path $ModuleDir 'PodShell.psd1')
    $staging = Join-Path ([IO.Path]::GetTempPath()) ("podshell-package-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
    try {
        $stagedModule = Join-Path $staging 'PodShell'
        New-Item -ItemType Directory -Force -Path $staging | Out-Null
        Copy-Item -Recurse $ModuleDir $stagedModule
        Get-ChildItem $stagedModule -Filter *.xml | Where-Object { Test-Path (Join-Path $stagedModule "$($_.BaseName).dll") } | Remove-Item
        $nupkg = Join-Path $target "PodShell.$($manifest.ModuleVersion).nupkg"
        if (Test-Path $nupkg) { Remove-Item -Force $nupkg }
        Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
        Compress-PSResource -Path $stagedModule -DestinationPath $target
        if (-not (Test-Path $nupkg)) { throw "Package: Compress-PSResource made no $nupkg" }
    }
    finally { Remove-Item -Recurse -Force $staging -ErrorAction Ignore }
    Write-Host "Package: $nupkg. Install it with:"
    Write-Host "  Register-PSResourceRepository -Name PodShellLocal -Uri '$target' -Trusted"
    Write-Host "  Install-PSResource PodShell -Repository PodShellLocal"
}

switch ($Task) {
    'Bootstrap' { Invoke-Bootstrap -Tests }
    'Build' { Invoke-Bootstrap; Invoke-Build }
    'Test' { Invoke-Bootstrap -Tests; Invoke-Build; Invoke-Test }
    'Demo' {
        Invoke-Bootstrap; Invoke-Build
        & dotnet pwsh -NoProfile -File (Join-Path $Root 'build/Demo.ps1') -ModulePath $ModuleDir
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Bench' {
        Invoke-Bootstrap -Tests; Invoke-Build
        & dotnet pwsh -NoProfile -File (Join-Path $Root 'bench/run.ps1') -ModulePath $ModuleDir -Scenario $BenchScenario
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Stress' {
        # Issue 15's campaign (stress/Stress.ps1): exits 1 when it finds a leak, a lost record or a bad outcome.
        Invoke-Bootstrap; Invoke-Build
        & dotnet pwsh -NoProfile -File (Join-Path $Root 'stress/Stress.ps1') -ModulePath $ModuleDir
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Package' {
        # The package carries no host program, so making it installs none (and works as an ordinary user).
        if (-not $NoBuild -or -not (Test-Path (Join-Path $ModuleDir 'PodShell.dll'))) { Invoke-Build }
        Invoke-Package
    }
    'Install' {
        Invoke-Bootstrap
        if (-not (Test-Path (Join-Path $ModuleDir 'PodShell.dll'))) { Invoke-Build }
        Invoke-Install
    }
}
