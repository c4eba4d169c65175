# Dot-sourced by Registry.Tests.ps1: start and stop a real distribution registry (Debian's docker-registry)
# on 127.0.0.1, with filesystem storage in a temp dir, anonymous or with htpasswd Basic auth.
# The Bearer token flow is tested in xunit (FakeRegistry.cs): docker-registry's token auth needs a
# signing certificate and JWTs, which a test should not have to mint.

function Get-FreeTcpPort {
    $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $l.Start()
    try { $l.LocalEndpoint.Port } finally { $l.Stop() }
}

function Start-TestRegistry {
    param([string] $User, [string] $Password)
    $binary = '/usr/bin/docker-registry'
    if (-not (Test-Path $binary)) { throw "$binary is missing: install the Debian packages docker-registry and apache2-utils (build.ps1 Bootstrap)." }
    $dir = Join-Path $env:PODSHELL_TEST_ROOT "registry-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $dir | Out-Null
    $port = Get-FreeTcpPort
    $auth = ''
    if ($User) {
        & htpasswd -Bbn $User $Password | Set-Content (Join-Path $dir 'htpasswd')
        if ($LASTEXITCODE -ne 0) { throw "htpasswd failed" }
        $auth = "auth:`n  htpasswd:`n    realm: podshell-test`n    path: $dir/htpasswd`n"
    }
    $config = "version: 0.1`nlog:`n  level: info`nstorage:`n  filesystem:`n    rootdirectory: $dir/data`nhttp:`n  addr: 127.0.0.1:$port`n$auth"
    Set-Content -Path (Join-Path $dir 'config.yml') -Value $config
    $log = Join-Path $dir 'registry.log'
    $p = Start-Process -FilePath $binary -ArgumentList 'serve', "$dir/config.yml" -RedirectStandardOutput "$dir/stdout.log" -RedirectStandardError $log -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        $c = [System.Net.Sockets.TcpClient]::new()
        try { $c.Connect('127.0.0.1', $port); break } catch { } finally { $c.Dispose() }
        if ($p.HasExited -or [DateTime]::UtcNow -gt $deadline) {
            Stop-TestRegistry ([pscustomobject]@{ Process = $p; Dir = $dir })
            throw "docker-registry did not start: $(Get-Content $log -Raw -ErrorAction Ignore)"
        }
        Start-Sleep -Milliseconds 100
    }
    [pscustomobject]@{ Process = $p; Pid = $p.Id; Port = $port; Host = "127.0.0.1:$port"; Dir = $dir; Log = $log }
}

function Stop-TestRegistry {
    param([Parameter(Mandatory)] $Registry)
    if ($Registry.Process -and -not $Registry.Process.HasExited) {
        Stop-Process -Id $Registry.Process.Id -Force -ErrorAction SilentlyContinue
        $Registry.Process.WaitForExit(10000) | Out-Null
    }
    Remove-Item -Recurse -Force $Registry.Dir -ErrorAction SilentlyContinue
}

# How many times the registry served GET for this blob (its access log).
function Get-TestRegistryBlobGet {
    param([Parameter(Mandatory)] $Registry, [Parameter(Mandatory)] [string] $Digest)
    $lines = Get-Content $Registry.Log, (Join-Path $Registry.Dir 'stdout.log') -ErrorAction Ignore
    @($lines | Where-Object { $_ -match '"GET /v2/' -and $_.Contains("/blobs/$Digest") }).Count
}
