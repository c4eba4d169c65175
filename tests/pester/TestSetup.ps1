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

# What the machine has, asked instead of assumed (cgroup layout, 32-bit emulation): tests that need something skip
# with the reason where it is missing, and read the cgroup files where this machine keeps them.
function Test-CgroupV2 { Test-Path /sys/fs/cgroup/cgroup.controllers }

# A process's cgroup directory for a controller: in the v1 hierarchy that has the controller (found in the mount
# table, not assumed at /sys/fs/cgroup/<controller>), or on a pure v2 host in the one cgroup2 tree ("0::/path").
function Get-CgroupDirectory([int] $ProcessId, [string] $Controller) {
    $lines = Get-Content "/proc/$ProcessId/cgroup"
    $v1 = $lines | Where-Object { ($_ -split ':')[1] -split ',' -contains $Controller } | Select-Object -First 1
    if ($v1) {
        $mount = Get-Content /proc/self/mountinfo | ForEach-Object {
            $halves = $_ -split ' - ', 2
            $fs = $halves[1] -split ' '
            if ($fs[0] -eq 'cgroup' -and ($fs[2] -split ',') -contains $Controller) { ($halves[0] -split ' ')[4] }
        } | Select-Object -First 1
        return "$mount$(($v1 -split ':', 3)[2])"
    }
    $v2 = $lines | Where-Object { $_ -like '0::*' } | Select-Object -First 1
    if ($v2 -and (Test-CgroupV2)) { return "/sys/fs/cgroup$(($v2 -split ':', 3)[2])".TrimEnd('/') }
    throw "No cgroup of process $ProcessId has the $Controller controller."
}

# The kernel runs the 32-bit (int 0x80) system calls of x86-64 programs: the honest probe is to run one. This
# 136-byte static program makes an i386 getpid through int 0x80 and exits 0; a kernel without IA32 emulation
# (CONFIG_IA32_EMULATION off, or ia32_emulation=0) kills it with SIGSEGV (139). /boot/config-* and
# /proc/config.gz are not on every machine; running the program is.
$script:Int80Program = 'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAEAAOAABAAAAAAAAAAEAAAAFAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAiAAAAAAAAACIAAAAAAAAAAAQAAAAAAAAuBQAAADNgLg8AAAAMf8PBQ=='
function Test-Ia32Emulation {
    if ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'X64') { return $false }
    $probe = Join-Path $env:PODSHELL_TEST_ROOT "int80-probe-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    try {
        [IO.File]::WriteAllBytes($probe, [Convert]::FromBase64String($script:Int80Program))
        & chmod 0755 $probe
        & $probe 2>$null
        $LASTEXITCODE -eq 0
    }
    finally { Remove-Item $probe -Force -ErrorAction Ignore }
}
