<#
.SYNOPSIS
The article's lab, done with PodShell: one limited container, and each kernel primitive behind it as objects.
#>
param([string] $ModulePath = (Join-Path $PSScriptRoot '../module/PodShell'))
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }

Step '1. Build a small image from the host''s static busybox'
$rootfs = Join-Path ([IO.Path]::GetTempPath()) "podshell-demo-rootfs-$PID"
& (Join-Path $PSScriptRoot 'New-BusyboxRootfs.ps1') -Path $rootfs
Import-ContainerImage -Path $rootfs -Name busybox:demo | Format-Table | Out-String -Width 120 | Write-Host
Remove-Item -Recurse -Force $rootfs

Step '2. Run primitive-lab: 128 MiB, 0.5 CPU, 64 pids, sleep infinity'
Get-Container primitive-lab -ErrorAction Ignore | Remove-Container -Force -Confirm:$false
$lab = New-Container busybox:demo -Name primitive-lab -Hostname primitive-lab -Memory 128MB -Cpus 0.5 -PidsLimit 64 sleep infinity |
    Start-Container -PassThru
$lab | Format-Table | Out-String -Width 120 | Write-Host

Step '3. Its namespaces next to the host''s (the calling pwsh)'
Get-ContainerNamespace primitive-lab | Format-Table ContainerName, Type, Inode, HostInode, SharedWithHost | Out-String -Width 120 | Write-Host

Step '4. The limits as the kernel files hold them'
$cg = Get-Container primitive-lab | Get-ContainerCgroup
$cg | Format-List Version, Path, MemoryMax, MemoryCurrent, CpuQuota, CpuPeriod, Cpus, PidsMax, PidsCurrent | Out-String -Width 120 | Write-Host
$cg.Files.GetEnumerator() | Sort-Object Key | Format-Table @{ n = 'File'; e = { $_.Key } }, @{ n = 'Content'; e = { $_.Value.Trim() } } | Out-String -Width 120 | Write-Host
Write-Host ("memory {0}, cpu {1}/{2}, pids {3}" -f $cg.MemoryMax, $cg.CpuQuota, $cg.CpuPeriod, $cg.PidsMax)

Step '5. The overlay dirs'
$layer = Get-OverlayLayer -Container primitive-lab | Where-Object Kind -eq Container
$layer | Format-List LowerDirs, UpperDir, WorkDir, MergedDir, Mounted | Out-String -Width 120 | Write-Host

Step '6. Write /root/hello.txt inside; see it in the upper dir and the merged view'
Invoke-ContainerCommand primitive-lab -- sh -c 'echo hello from primitive-lab > /root/hello.txt'
Write-Host "upper : $(Get-Content (Join-Path $layer.UpperDir 'root/hello.txt'))"
Write-Host "merged: $(Get-Content (Join-Path $layer.MergedDir 'root/hello.txt'))"

Step '7. hostname and ps inside'
Write-Host "hostname: $(Invoke-ContainerCommand primitive-lab hostname)"
Invoke-ContainerCommand primitive-lab ps | Out-String -Width 120 | Write-Host

Step '8. Remove it and show that nothing is left'
$id = $lab.Id; $pidOnHost = (Get-Container primitive-lab).Pid
Remove-Container primitive-lab -Force -Confirm:$false
$mounts = @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$id*" })
$cgroups = @(Get-ChildItem /sys/fs/cgroup -Directory | ForEach-Object { Get-ChildItem $_.FullName -Directory -Recurse -Depth 1 -ErrorAction Ignore } | Where-Object Name -eq $id)
Write-Host "container record : $(if (Get-Container -Id $id -ErrorAction Ignore) { 'still there' } else { 'gone' })"
Write-Host "mounts           : $($mounts.Count)"
Write-Host "cgroup dirs      : $($cgroups.Count)"
Write-Host "process $pidOnHost    : $(if (Test-Path /proc/$pidOnHost) { 'still running' } else { 'gone' })"
Remove-ContainerImage busybox:demo -Confirm:$false
# The engine keeps its cgroup parent (/podshell) between containers, as Podman keeps libpod_parent;
# the demo removes it when it is empty so that it leaves the host as it found it.
Get-ChildItem /sys/fs/cgroup -Directory | ForEach-Object { Join-Path $_.FullName 'podshell' } | Where-Object { Test-Path $_ } |
    ForEach-Object { try { [IO.Directory]::Delete($_) } catch { Write-Verbose "kept $_ (in use)" } }
if ($mounts.Count -or $cgroups.Count -or (Test-Path /proc/$pidOnHost)) { Write-Error 'Something was left behind.'; exit 1 }
Write-Host "`nDone: a container is a process tree with namespaces, cgroups and an overlay root filesystem." -ForegroundColor Green
