<#
.SYNOPSIS
Builds a minimal root filesystem from the host's static busybox (Debian busybox-static).
There is no registry to pull from on these machines, so the demo and the tests make their image this way.
#>
param(
    [Parameter(Mandatory)] [string] $Path,
    [string] $Busybox = '/usr/bin/busybox'
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path $Busybox)) { throw "No static busybox at ${Busybox}: install busybox-static (build.ps1 Bootstrap does)." }
foreach ($d in 'bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'run', 'var/tmp', 'home') {
    New-Item -ItemType Directory -Force -Path (Join-Path $Path $d) | Out-Null
}
Copy-Item $Busybox (Join-Path $Path 'bin/busybox') -Force
& chmod 0755 (Join-Path $Path 'bin/busybox')
& chmod 1777 (Join-Path $Path 'tmp')
& chmod 0700 (Join-Path $Path 'root')
# One symlink per applet, in the directory busybox itself would install it to.
foreach ($applet in (& $Busybox --list-full)) {
    if ($applet -eq 'bin/busybox' -or -not $applet) { continue }
    $link = Join-Path $Path $applet
    New-Item -ItemType Directory -Force -Path (Split-Path $link) | Out-Null
    if (-not (Test-Path -LiteralPath $link)) { & ln -s /bin/busybox $link }
}
Set-Content -NoNewline -Path (Join-Path $Path 'etc/passwd') -Value "root:x:0:0:root:/root:/bin/sh`nnobody:x:65534:65534:nobody:/nonexistent:/bin/false`n"
Set-Content -NoNewline -Path (Join-Path $Path 'etc/group') -Value "root:x:0:`nnogroup:x:65534:`n"
Set-Content -NoNewline -Path (Join-Path $Path 'etc/os-release') -Value "NAME=`"busybox`"`nID=busybox`n"
