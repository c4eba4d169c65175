<#
.SYNOPSIS
Runs the Pester suite against the built module, in temporary graph and run roots and its own cgroup
parent, then removes every container, mount and cgroup the run made and says so if it cannot.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [string] $SummaryPath,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../module/PodShell'),
    [string[]] $Path = @($PSScriptRoot, (Join-Path $PSScriptRoot '../../examples'))
)
$ErrorActionPreference = 'Stop'
$runId = [guid]::NewGuid().ToString('N').Substring(0, 8)
$testRoot = Join-Path ([IO.Path]::GetTempPath()) "podshell-test-$runId"
$env:PODSHELL_GRAPHROOT = Join-Path $testRoot 'graph'
$env:PODSHELL_RUNROOT = Join-Path $testRoot 'run'
$env:PODSHELL_CGROUP_PARENT = "podshell-test-$runId"
# The default bridge network of this run: its own bridge and a subnet no other run or real podman uses.
$env:PODSHELL_BRIDGE = "pst$($runId.Substring(0, 6))"
$env:PODSHELL_DEFAULT_SUBNET = "10.$(200 + [Convert]::ToInt32($runId.Substring(0, 2), 16) % 50).$([Convert]::ToInt32($runId.Substring(2, 2), 16)).0/24"
$env:PODSHELL_TEST_ROOT = $testRoot
$env:PODSHELL_MODULE_PATH = (Resolve-Path $ModulePath).Path
New-Item -ItemType Directory -Force -Path $testRoot | Out-Null

Import-Module $PesterPath -Force
Import-Module $env:PODSHELL_MODULE_PATH -Force

$c = New-PesterConfiguration
$c.Run.Path = $Path
$c.Run.PassThru = $true
$c.Output.Verbosity = 'Detailed'
# The JUnit report is written after the run, apart: a failure message with a control character (a nested pwsh's
# ANSI colours) once made Pester's own report step throw and take the whole result with it.
$c.TestResult.Enabled = $false
$result = $null
try { $result = Invoke-Pester -Configuration $c }
catch { Write-Host "Invoke-Pester failed: $_" }
if ($result) {
    try { $result | Export-JUnitReport -Path (Join-Path $PSScriptRoot '../../TestResults/pester-junit.xml') }
    catch { Write-Host "The JUnit report could not be written (the results stand): $_" }
}

# Teardown: everything this run created, by the ids it recorded; then prove nothing is left.
$leftovers = @()
try {
    Get-Container | Remove-Container -Force -Confirm:$false -ErrorAction Continue
}
catch { $leftovers += "removing containers failed: $_" }
$mounts = @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$testRoot*" })
foreach ($m in $mounts) {
    $target = ($m -split ' ')[4]
    & umount -l $target 2>$null
    $leftovers += "mount left behind (now detached): $target"
}
# Every hierarchy: each v1 controller directory, and /sys/fs/cgroup itself, which is the one tree of a v2 host.
$cgroupDirs = @(@('/sys/fs/cgroup') + @(Get-ChildItem /sys/fs/cgroup -Directory -ErrorAction Ignore | ForEach-Object FullName) | ForEach-Object {
    Join-Path $_ $env:PODSHELL_CGROUP_PARENT } | Where-Object { Test-Path $_ })
foreach ($d in $cgroupDirs) {
    $children = @(Get-ChildItem $d -Directory -ErrorAction Ignore)
    foreach ($ch in $children) { $leftovers += "cgroup left behind: $($ch.FullName)"; [IO.Directory]::Delete($ch.FullName) }
    try { [IO.Directory]::Delete($d) } catch { $leftovers += "cgroup parent could not be removed: $d ($_)" }
}
if ($env:PODSHELL_BRIDGE -and (Test-Path "/sys/class/net/$env:PODSHELL_BRIDGE")) {
    # netavark removes a bridge with its last container; one still here means a teardown was missed.
    $leftovers += "bridge left behind: $env:PODSHELL_BRIDGE"
    & ip link del $env:PODSHELL_BRIDGE 2>$null
}
$subnetPrefix = (($env:PODSHELL_DEFAULT_SUBNET -split '/')[0] -split '\.')[0..2] -join '.'
if ((& iptables-save 2>$null) -join "`n" -match [regex]::Escape("$subnetPrefix.")) { $leftovers += "iptables rules for $env:PODSHELL_DEFAULT_SUBNET left behind" }
$conmons = @(Get-Process conmon -ErrorAction Ignore | Where-Object { (Get-Content "/proc/$($_.Id)/cmdline" -Raw -ErrorAction Ignore) -like "*$testRoot*" })
foreach ($p in $conmons) { $leftovers += "conmon left running: pid $($p.Id)"; Stop-Process -Id $p.Id -Force }
Remove-Item -Recurse -Force $testRoot -ErrorAction SilentlyContinue
if (Test-Path $testRoot) { $leftovers += "test root could not be removed: $testRoot" }

$failed = if ($result) { $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount } else { 1 }
if ($leftovers.Count -gt 0) {
    Write-Host "The test run left things behind (removed now):"
    $leftovers | ForEach-Object { Write-Host "  - $_" }
    $failed += 1
}
else { Write-Host "Teardown: no container, mount, cgroup or conmon process left behind." }
Write-Host "Pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($SummaryPath) {
    @{ Passed = [int] $result.PassedCount; Failed = $failed; Skipped = [int] $result.SkippedCount } | ConvertTo-Json | Set-Content $SummaryPath
}
exit $failed
