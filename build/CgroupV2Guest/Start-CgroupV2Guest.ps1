<#
.SYNOPSIS
Boots a pure cgroup v2 guest with QEMU and runs the v2 test set (tests/pester-v2) in it; returns its result.

.DESCRIPTION
The guest is Debian's own kernel (the newest /boot/vmlinuz-<ver> with modules in /lib/modules/<ver>), an
initramfs made by New-GuestInitramfs.ps1, and this machine's root shared read-only over virtio-9p; guest.sh
mounts cgroup2 with every controller and runs ONE pwsh (Invoke-GuestTests.ps1) that writes its summary to a
second, writable 9p export. KVM is used where /dev/kvm works (the CPU has vmx/svm and a KVM boot reaches
the guest's stage 2 within -KvmBootSeconds), TCG otherwise. A guest that does not power off within
-TimeoutSeconds is killed by QEMU's pid and reported failed with the tail of its serial log.

Returns Status (Passed, Failed, Skipped), Passed, Failed, Skipped, Reason, Failures, Accel, Seconds, LogPath.
A host without qemu-system-x86_64 or an installed kernel gets Status Skipped with the reason.
#>
param(
    [string] $Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path,
    [string] $ModulePath = (Join-Path $Repo 'module/PodShell'),
    [Parameter(Mandatory)] [string] $PesterPath,
    # Where the serial log and the guest's summary are copied.
    [string] $ResultsPath = (Join-Path $Repo 'TestResults'),
    [int] $TimeoutSeconds = 2400,
    [int] $KvmBootSeconds = 60,
    [int] $MemoryMB = 2048,
    [ValidateSet('Auto', 'Kvm', 'Tcg')] [string] $Accel = 'Auto',
    # No rootless test user: the rootless tests in the guest skip.
    [switch] $NoRootlessUser
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function New-Result([string] $Status, [string] $Reason) {
    [pscustomobject]@{ Status = $Status; Passed = 0; Failed = 0; Skipped = 0; Reason = $Reason; Failures = @()
        Skips = @(); Accel = ''; Seconds = 0.0; BootSeconds = 0.0; PwshStartSeconds = 0.0; RunSeconds = 0.0; LogPath = '' }
}

# What the host must have; anything missing is a skip with the reason, not a failure.
$qemu = Get-Command qemu-system-x86_64 -CommandType Application -ErrorAction Ignore | Select-Object -First 1
if (-not $qemu) { return New-Result 'Skipped' 'qemu-system-x86_64 is not installed (Debian: qemu-system-x86).' }
if ((& id -u) -ne '0') { return New-Result 'Skipped' 'the cgroup v2 guest needs root (it shares / with passthrough ownership and runs the tests as root).' }
$kernel = Get-ChildItem /boot -Filter 'vmlinuz-*' -ErrorAction Ignore |
    Where-Object { Test-Path "/lib/modules/$($_.Name.Substring(8))/modules.dep" } |
    Sort-Object { [version] (($_.Name.Substring(8) -split '-')[0]) } | Select-Object -Last 1
if (-not $kernel) { return New-Result 'Skipped' 'no kernel in /boot with its modules in /lib/modules (Debian: linux-image-amd64).' }
$kver = $kernel.Name.Substring(8)
if (-not (Test-Path /bin/busybox) -and -not (Test-Path /usr/bin/busybox)) { return New-Result 'Skipped' 'no static busybox (Debian: busybox-static).' }
$busybox = (Test-Path /bin/busybox) ? '/bin/busybox' : '/usr/bin/busybox'
foreach ($p in $Repo, $ModulePath, $PesterPath, $PSHOME) {
    if ($p -match '\s') { return New-Result 'Skipped' "the path '$p' has white space, which the guest's kernel command line cannot carry." }
}
if (-not (Test-Path (Join-Path $ModulePath 'PodShell.dll'))) { return New-Result 'Failed' "the module is not built: no PodShell.dll in $ModulePath." }

$PesterPath = (Resolve-Path $PesterPath).Path
$ModulePath = (Resolve-Path $ModulePath).Path
$id = [guid]::NewGuid().ToString('N').Substring(0, 8)
# Under /var/tmp, not /tmp: the guest mounts its own tmpfs on /tmp, and the rootless user's copy of pwsh must
# be visible in it.
$work = "/var/tmp/podshell-v2guest-$id"
$out = Join-Path $work 'out'
New-Item -ItemType Directory -Force $out | Out-Null
& chmod 0755 $work
$log = Join-Path $work 'serial.log'
$result = New-Result 'Failed' ''
$user = $null
$savedTestRoot = $env:PODSHELL_TEST_ROOT
$clock = [Diagnostics.Stopwatch]::StartNew()
try {
    $initrd = & (Join-Path $PSScriptRoot 'New-GuestInitramfs.ps1') -KernelVersion $kver -OutFile (Join-Path $work 'initramfs.gz') -Busybox $busybox
    # A small virtual disk, so io.max has a real major:minor to limit and io.stat something to count.
    $disk = Join-Path $work 'disk.raw'
    $fs = [IO.File]::Create($disk); $fs.SetLength(64MB); $fs.Dispose()

    $kernelArgs = @('console=ttyS0', 'quiet', 'panic=-1', 'cgroup_no_v1=all', "podshell.stage2=$PSScriptRoot/guest.sh",
        "podshell.repo=$Repo", "podshell.module=$ModulePath", "podshell.pester=$PesterPath", "podshell.pshome=$PSHOME")
    if (-not $NoRootlessUser) {
        # The guest sees the host's /etc read-only, so the user and its subordinate ids are made here, before boot.
        . (Join-Path $Repo 'tests/pester/RootlessUser.ps1')
        $env:PODSHELL_TEST_ROOT = $work
        $env:PODSHELL_MODULE_PATH = $ModulePath
        $user = New-RootlessTestUser -Prefix 'psv2'
        $user | Select-Object Name, Uid, Gid, SubUidStart, SubGidStart, SubIdCount, PwshHome |
            ConvertTo-Json | Set-Content (Join-Path $out 'rootless-user.json')
        $kernelArgs += 'podshell.rootlessuser=/tmp/out/rootless-user.json'
    }

    $kvmUsable = (Test-Path /dev/kvm) -and ((Get-Content /proc/cpuinfo -Raw) -match '\b(vmx|svm)\b')
    $accels = switch ($Accel) { 'Kvm' { @('kvm') } 'Tcg' { @('tcg') } default { $kvmUsable ? @('kvm', 'tcg') : @('tcg') } }
    foreach ($a in $accels) {
        $qemuArgs = @('-machine', 'q35', '-accel', $a, '-cpu', (($a -eq 'kvm') ? 'host' : 'max'), '-m', "$MemoryMB", '-smp', '2',
            '-nodefaults', '-display', 'none', '-no-reboot', '-serial', "file:$log", '-monitor', 'none',
            '-kernel', $kernel.FullName, '-initrd', $initrd, '-append', ($kernelArgs -join ' '),
            '-fsdev', 'local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap',
            '-device', 'virtio-9p-pci,fsdev=root,mount_tag=hostroot',
            '-fsdev', "local,id=out,path=$out,security_model=passthrough",
            '-device', 'virtio-9p-pci,fsdev=out,mount_tag=results',
            '-drive', "file=$disk,if=virtio,format=raw")
        Remove-Item $log -ErrorAction Ignore
        $result.Accel = $a
        Write-Host "cgroup v2 guest: booting kernel $kver with $($a.ToUpper()) ($MemoryMB MiB, 2 vCPUs)"
        # ArgumentList, not Start-Process: the kernel command line is one argument with spaces.
        $psi = [Diagnostics.ProcessStartInfo]::new($qemu.Source)
        foreach ($q in $qemuArgs) { $psi.ArgumentList.Add($q) }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardError = $true
        $psi.RedirectStandardInput = $true
        $proc = [Diagnostics.Process]::Start($psi)
        $qemuErr = $proc.StandardError.ReadToEndAsync()
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $bootDeadline = [DateTime]::UtcNow.AddSeconds($KvmBootSeconds)
        $fallBack = $false
        while (-not $proc.WaitForExit(1000)) {
            if ($a -eq 'kvm' -and $accels.Count -gt 1 -and [DateTime]::UtcNow -gt $bootDeadline -and
                -not ((Get-Content $log -Raw -ErrorAction Ignore) -match 'podshell-guest: booted')) {
                Write-Host "cgroup v2 guest: no boot with KVM within $KvmBootSeconds s; falling back to TCG"
                $fallBack = $true
            }
            elseif ([DateTime]::UtcNow -gt $deadline) {
                $result.Reason = "the guest did not power off within $TimeoutSeconds s (QEMU killed)"
            }
            if ($fallBack -or $result.Reason) {
                Stop-Process -Id $proc.Id -Force -ErrorAction Ignore
                $proc.WaitForExit(10000) | Out-Null
                break
            }
        }
        if (-not $fallBack) { break }
    }
    $summaryFile = Join-Path $out 'summary.json'
    if (-not $result.Reason -and -not (Test-Path $summaryFile)) {
        $result.Reason = "the guest wrote no summary (QEMU exit code $($proc.ExitCode)) $($qemuErr.Result)".Trim()
    }
    if (Test-Path $summaryFile) {
        $s = Get-Content -Raw $summaryFile | ConvertFrom-Json
        $result.Passed = [int] $s.Passed; $result.Failed = [int] $s.Failed; $result.Skipped = [int] $s.Skipped
        $result.Failures = @($s.Failures); $result.Skips = @($s.Skips)
        $result.BootSeconds = [double] $s.BootSeconds; $result.PwshStartSeconds = [double] $s.PwshStartSeconds; $result.RunSeconds = [double] $s.RunSeconds
        if ($result.Passed + $result.Failed -eq 0) { $result.Reason = 'the guest ran no test' }
    }
    if ($result.Reason) {
        $tail = @(Get-Content $log -Tail 30 -ErrorAction Ignore) -join "`n"
        $result.Reason = "$($result.Reason). Serial log tail:`n$tail"
        $result.Failed = [Math]::Max($result.Failed, 1)
    }
    $result.Status = ($result.Failed -gt 0) ? 'Failed' : 'Passed'
}
catch {
    $result.Status = 'Failed'; $result.Failed = [Math]::Max($result.Failed, 1)
    $result.Reason = "the guest step failed: $_"
}
finally {
    $result.Seconds = [Math]::Round($clock.Elapsed.TotalSeconds, 1)
    if (Test-Path $ResultsPath) {
        foreach ($f in @($log, (Join-Path $out 'summary.json'))) {
            if (Test-Path $f) { Copy-Item $f (Join-Path $ResultsPath "cgroupv2-guest-$([IO.Path]::GetFileName($f))") }
        }
        $result.LogPath = Join-Path $ResultsPath 'cgroupv2-guest-serial.log'
    }
    if ($user) {
        $problems = @(Remove-RootlessTestUser -User $user -WarningAction SilentlyContinue)
        foreach ($p in $problems) { $result.Failed++; $result.Status = 'Failed'; $result.Failures += [pscustomobject]@{ Name = 'rootless user teardown'; Message = $p } }
    }
    $env:PODSHELL_TEST_ROOT = $savedTestRoot
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}
$result
