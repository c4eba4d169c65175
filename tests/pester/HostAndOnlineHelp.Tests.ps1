# Test-ContainerHost (issue 20 item 1): what the module needs from the host, found or missing, and the apt-get line;
# Get-Help -Online (issue 20 item 3): every cmdlet's online help is its page in the repository's docs/.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:projectUri = (Import-PowerShellDataFile (Join-Path $script:repoRoot 'PodShell.psd1')).PrivateData.PSData.ProjectUri

    # Runs $Script in a fresh pwsh that sees a host without some packages: in a mount namespace of its own, empty
    # tmpfs mounts hide the directories $Hide (podman's helper directories hold netavark and aardvark-dns on Debian,
    # /usr/sbin runc and iptables), and PATH is an empty directory. /usr/bin stays (pwsh, dotnet and /bin/sh are there).
    function Invoke-OnHostWithout([string] $Hide, [string] $Script) {
        $empty = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'emptypath')
        New-Item -ItemType Directory -Path $empty | Out-Null
        $inner = "for d in $Hide; do if [ -d `$d ]; then mount -t tmpfs none `$d || exit 99; fi; done; PATH='$empty' exec `"`$@`""
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        $out = & unshare -m --propagation private -- /bin/sh -c $inner sh $dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive `
            -Command "Import-Module '$env:PODSHELL_MODULE_PATH'; $Script" 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($out | ForEach-Object { "$_" }) }
    }
}

Describe 'Test-ContainerHost' {
    It 'lists every program the module starts, each found here with its path, and the runtimes with a version' {
        $r = @(Test-ContainerHost -WarningVariable w)
        $r.Name | Should -Be @('runc', 'crun', 'conmon', 'catatonit', 'netavark', 'aardvark-dns', 'iptables', 'newuidmap', 'newgidmap', 'slirp4netns', 'fuse-overlayfs')
        $r | ForEach-Object { $_ | Should -BeOfType [PodShell.HostRequirement] }
        foreach ($x in $r) {
            $x.Status | Should -Be 'Found' -Because "build.ps1 Bootstrap installed $($x.Package)"
            Test-Path -LiteralPath $x.Path | Should -BeTrue
        }
        ($r | Where-Object Name -EQ 'conmon').Version | Should -Match '^\d+\.\d+'
        ($r | Where-Object Name -EQ 'runc').Version | Should -Be ((& runc --version | Select-Object -First 1) -replace '^runc version ', '')
        ($r | Where-Object Name -EQ 'netavark').Path | Should -Be '/usr/lib/podman/netavark' -Because 'netavark is found where the network code finds it'
        $w | Should -BeNullOrEmpty
        Test-ContainerHost -Quiet | Should -BeTrue
        @(Test-ContainerHost Networks).Name | Should -Be @('netavark', 'aardvark-dns', 'iptables')
    }

    It 'says what is missing and the one apt-get line that installs it, on a host without those programs' {
        $r = Invoke-OnHostWithout -Hide '/usr/local/sbin /usr/sbin /usr/local/lib/podman /usr/lib/podman /usr/libexec/podman' -Script @'
$rows = Test-ContainerHost -WarningVariable w -WarningAction SilentlyContinue
foreach ($x in $rows) { "row=$($x.Name):$($x.Status):$($x.Package)" }
"warning=$w"
"quiet=$(Test-ContainerHost Containers -Quiet -WarningAction SilentlyContinue)/$(Test-ContainerHost Networks -Quiet -WarningAction SilentlyContinue)"
'@
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        $r.Output | Should -Contain 'row=runc:Alternative:runc' -Because 'runc (in /usr/sbin; /usr/bin/runc is a link to it) is hidden, and crun does the same job'
        $r.Output | Should -Contain 'row=crun:Found:crun'
        $r.Output | Should -Contain 'row=conmon:Found:conmon'
        $r.Output | Should -Contain 'row=netavark:Missing:netavark'
        $r.Output | Should -Contain 'row=aardvark-dns:Missing:aardvark-dns'
        $r.Output | Should -Contain 'row=iptables:Missing:iptables'
        $r.Output | Should -Contain 'warning=Missing on this host: netavark, aardvark-dns, iptables. Install them as root: apt-get install --no-install-recommends netavark aardvark-dns iptables'
        $r.Output | Should -Contain 'quiet=True/False'
    }

    It 'the first cmdlet that needs a missing program still names it and its package (NetavarkNotFound)' {
        $r = Invoke-OnHostWithout -Hide '/usr/local/lib/podman /usr/lib/podman /usr/libexec/podman' -Script @"
`$env:PODSHELL_GRAPHROOT = '$env:PODSHELL_GRAPHROOT'; `$env:PODSHELL_RUNROOT = '$env:PODSHELL_RUNROOT'
`$n = New-ContainerNetwork -Name '$(New-TestName 'nonet')'
try { `$c = New-Container busybox -Network `$n.Name sleep 1; Start-Container `$c -ErrorAction Stop }
catch { "error=`$(`$_.FullyQualifiedErrorId)|`$(`$_.Exception.Message)" }
finally { if (`$c) { Remove-Container `$c -Force }; Remove-ContainerNetwork `$n.Name -Force }
"@
        ($r.Output | Where-Object { $_ -like 'error=*' }) | Should -BeLike 'error=NetavarkNotFound*apt-get install netavark*'
    }

    It 'fits 80 columns and drops no column' {
        $text = Test-ContainerHost | Format-Table | Out-String -Width 80
        foreach ($line in ($text -split "`n")) { $line.Length | Should -BeLessOrEqual 80 }
        $text | Should -Match 'Feature\s+Name\s+Status\s+Version\s+Path'
        $text | Should -Match '/usr/lib/podman/aardvark-dns'
    }
}

Describe 'Get-Help -Online' {
    BeforeDiscovery {
        if (-not (Get-Module PodShell)) { Import-Module $env:PODSHELL_MODULE_PATH -ErrorAction Stop }
        $cmdlets = @(Get-Command -Module PodShell -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
    }

    It '<Name>: the first related link is its docs page in the repository, and no link is a bare file name' -ForEach $cmdlets {
        $links = @((Get-Help $Name -Full).relatedLinks.navigationLink)
        $links[0].uri | Should -Be "$script:projectUri/blob/main/docs/$Name.md"
        Test-Path (Join-Path $script:repoRoot "docs/$Name.md") | Should -BeTrue
        foreach ($l in $links | Where-Object { $_.uri }) {
            ([uri] $l.uri).IsAbsoluteUri | Should -BeTrue -Because "'$($l.uri)' in $Name's RELATED LINKS must be a URL"
            ([uri] $l.uri).Scheme | Should -Be 'https'
            if ($l.uri.StartsWith("$script:projectUri/blob/main/")) {
                $file = ($l.uri.Substring("$script:projectUri/blob/main/".Length) -split '#')[0]
                Test-Path (Join-Path $script:repoRoot $file) | Should -BeTrue -Because "$($l.uri) must name a file of the repository"
            }
        }
    }

    It 'opens that page: Get-Help -Online hands the URL to the browser (xdg-open)' {
        $dir = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'browser')
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content "$dir/xdg-open" "#!/bin/sh`necho `"`$1`" > '$dir/opened'"
        & chmod 0755 "$dir/xdg-open"
        $old = $env:PATH
        try {
            $env:PATH = "${dir}:$old"
            Get-Help Get-Container -Online
            $deadline = [datetime]::UtcNow.AddSeconds(10)
            while (-not (Test-Path "$dir/opened") -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        }
        finally { $env:PATH = $old }
        (Get-Content "$dir/opened") | Should -Be "$script:projectUri/blob/main/docs/Get-Container.md"
    }

    It 'the manifest''s ProjectUri is the https address the links are made from' {
        $script:projectUri | Should -Match '^https://[^/]+/[^/]+/[^/]+$'
    }
}
