# Dot-sourced by every test file: the module from the build, and a busybox image made once per run.
Import-Module $env:PODSHELL_MODULE_PATH -Force
$script:BusyboxRootfs = Join-Path $env:PODSHELL_TEST_ROOT 'busybox-rootfs'
if (-not (Test-Path (Join-Path $script:BusyboxRootfs 'bin/busybox'))) {
    & (Join-Path $PSScriptRoot '../../build/New-BusyboxRootfs.ps1') -Path $script:BusyboxRootfs
}
if (-not (Get-ContainerImage -Name 'busybox' -ErrorAction Ignore)) {
    Import-ContainerImage -Path $script:BusyboxRootfs -Name 'busybox' | Out-Null
}
function New-TestName([string] $Prefix = 't') { "$Prefix-$([guid]::NewGuid().ToString('N').Substring(0, 8))" }
