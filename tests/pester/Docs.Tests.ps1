# The README and about_PodShell work as written (issue 20 item 2): every ```powershell block of README.md and
# docs/about_PodShell*.md runs, in the order of its document, each in a fresh `pwsh -NonInteractive` (so a prompt
# fails it) with $ErrorActionPreference = 'Stop' (so any error fails it), as on a fresh machine: an empty store of
# its own, a home of its own (PSResourceGet's repositories, the CurrentUser module path) and a working directory
# holding ./package (build.ps1 Package's folder). A local registry stands in for docker.io: it holds busybox, and
# PODSHELL_REGISTRIES_SEARCH sends unqualified names there.

BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $documents = @(@(Join-Path $repo 'README.md') + @(Get-ChildItem (Join-Path $repo 'docs') -Filter 'about_PodShell*.md' | ForEach-Object FullName)) | ForEach-Object {
        $path = $_
        $lines = [IO.File]::ReadAllLines($path)
        $blocks = [Collections.Generic.List[object]]::new()
        for ($i = 0; $i -lt $lines.Count; $i++) {
            if ($lines[$i] -match '^```powershell\s*$') {
                $start = $i + 1
                $code = [Collections.Generic.List[string]]::new()
                for ($i = $start; $i -lt $lines.Count -and $lines[$i] -notmatch '^```\s*$'; $i++) { $code.Add($lines[$i]) }
                $blocks.Add(@{ Line = $start; Code = ($code -join "`n"); Document = [IO.Path]::GetFileName($path) })
            }
        }
        @{ Document = [IO.Path]::GetFileName($path); Blocks = $blocks.ToArray() }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    . (Join-Path $PSScriptRoot 'RegistryServer.ps1')
    $script:repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    # docker.io's busybox, played by the suite's busybox in a registry on 127.0.0.1.
    $script:reg = Start-TestRegistry
    foreach ($name in 'library/busybox:latest', 'busybox:latest') {
        Publish-ContainerImage busybox "$($script:reg.Host)/$name" -Confirm:$false | Out-Null
    }
    # ./package, as build.ps1 Package leaves it in a checkout.
    $script:feed = Join-Path $env:PODSHELL_TEST_ROOT 'docs-feed'
    $out = & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $script:repoRoot 'build.ps1') Package -NoBuild -PackagePath $script:feed 2>&1
    if ($LASTEXITCODE -ne 0) { throw "build.ps1 Package failed: $($out -join "`n")" }

    # Runs one block in a fresh pwsh with the document's machine; the suite's cgroup parent, bridge and subnet are
    # inherited, so the run's teardown finds whatever a block leaves.
    function Invoke-DocBlock([string] $Code, $Machine) {
        $dir = Join-Path $Machine.Root "call-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath "$dir/block.ps1" -Value "`$ErrorActionPreference = 'Stop'`n$Code"
        $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($a in '-c', 'exec "$@" </dev/null >"$0.out" 2>"$0.err"', "$dir/std", $script:RootlessDotnetPath,
            (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-NoLogo', '-File', "$dir/block.ps1") { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $Machine.WorkDir
        $psi.UseShellExecute = $false
        $psi.Environment['HOME'] = $Machine.Home
        $psi.Environment.Remove('XDG_DATA_HOME') | Out-Null
        $psi.Environment['PSModulePath'] = "$($Machine.Home)/.local/share/powershell/Modules:$(Split-Path $env:PODSHELL_MODULE_PATH)"
        $psi.Environment['PODSHELL_GRAPHROOT'] = $Machine.Graph
        $psi.Environment['PODSHELL_RUNROOT'] = $Machine.Run
        $psi.Environment['PODSHELL_REGISTRIES_SEARCH'] = $script:reg.Host
        $psi.Environment['TERM'] = 'dumb'
        $psi.Environment['NO_COLOR'] = '1'
        $p = [Diagnostics.Process]::Start($psi)
        try {
            if (-not $p.WaitForExit(300000)) { & kill -KILL $p.Id 2>$null; throw 'the block did not finish within 300 s' }
            [pscustomobject]@{
                ExitCode = $p.ExitCode
                Output   = [string] (Get-Content -Raw "$dir/std.out" -ErrorAction Ignore)
                StdErr   = [string] (Get-Content -Raw "$dir/std.err" -ErrorAction Ignore)
            }
        }
        finally { $p.Dispose() }
    }
    $script:RootlessDotnetPath = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
}

AfterAll {
    if ($script:reg) { Stop-TestRegistry $script:reg }
}

Describe '<Document> as written' -ForEach $documents {
    BeforeAll {
        $root = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'docs')
        $machine = [pscustomobject]@{
            Root = $root; Home = "$root/home"; WorkDir = "$root/work"; Graph = "$root/graph"; Run = "$root/run"
        }
        New-Item -ItemType Directory -Force -Path $machine.Home, $machine.WorkDir | Out-Null
        Copy-Item -Recurse $script:feed (Join-Path $machine.WorkDir 'package')
    }
    AfterAll {
        # Whatever a failed block left in this document's store.
        Invoke-DocBlock -Machine $machine -Code 'Import-Module PodShell; Get-Container | Remove-Container -Force' | Out-Null
    }

    It 'block at line <Line> runs without an error or a prompt' -ForEach $Blocks {
        $r = Invoke-DocBlock -Code $Code -Machine $machine
        $r.ExitCode | Should -Be 0 -Because "$Document line ${Line}:`n$Code`nstdout: $($r.Output)`nstderr: $($r.StdErr)"
        "$($r.StdErr)".Trim() | Should -BeNullOrEmpty -Because "$Document line $Line wrote to stderr"
    }

    It 'leaves no container behind (Remove-Container -Force removed what the blocks made, without a prompt)' {
        $r = Invoke-DocBlock -Machine $machine -Code 'Import-Module PodShell; "count=$(@(Get-Container).Count)"'
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.Output | Should -Match 'count=0'
    }
}

Describe 'The quick start on a fresh store' {
    It 'New-Container busybox without an image first fails with ImageNotFound, so the README must fetch it' {
        $root = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'docs-fresh')
        $machine = [pscustomobject]@{ Root = $root; Home = "$root/home"; WorkDir = "$root/work"; Graph = "$root/graph"; Run = "$root/run" }
        New-Item -ItemType Directory -Force -Path $machine.Home, $machine.WorkDir | Out-Null
        $r = Invoke-DocBlock -Machine $machine -Code @'
Import-Module PodShell
try { New-Container busybox -Name web sleep infinity } catch { "error=$($_.FullyQualifiedErrorId)" }
'@
        $r.Output | Should -Match 'error=ImageNotFound'
    }
}
