<#
.SYNOPSIS
Runs inside the cgroup v2 guest: the one pwsh of the guest imports the built module, runs Pester on
tests/pester-v2 with graph and run roots on the guest's tmpfs, removes what the run made, and writes a summary
JSON (Passed, Failed, Skipped, Failures, timings) where the host reads it.
#>
param(
    [Parameter(Mandatory)] [string] $Repo,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    # JSON of the rootless test user the host created before boot (see Start-CgroupV2Guest.ps1); optional.
    [string] $RootlessUserPath,
    # The guest's uptime when pwsh was started, to report how long pwsh took to start.
    [double] $Uptime
)
$ErrorActionPreference = 'Stop'
$started = [double] ((Get-Content /proc/uptime -Raw) -split ' ')[0]
Write-Host "podshell-guest: pwsh started in $([Math]::Round($started - $Uptime, 1)) s"
$summary = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0; Failures = @(); Skips = @(); BootSeconds = $Uptime
    PwshStartSeconds = [Math]::Round($started - $Uptime, 1); RunSeconds = 0 }
$failed = 0
try {
    $runId = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $testRoot = "/tmp/podshell-v2-$runId"
    $env:PODSHELL_GRAPHROOT = Join-Path $testRoot 'graph'
    $env:PODSHELL_RUNROOT = Join-Path $testRoot 'run'
    $env:PODSHELL_CGROUP_PARENT = "podshell-test-$runId"
    $env:PODSHELL_TEST_ROOT = $testRoot
    $env:PODSHELL_MODULE_PATH = $ModulePath
    if ($RootlessUserPath) { $env:PODSHELL_V2_ROOTLESS_USER = $RootlessUserPath }
    New-Item -ItemType Directory -Force -Path $testRoot | Out-Null

    Import-Module $PesterPath -Force
    Import-Module $ModulePath -Force
    $c = New-PesterConfiguration
    $c.Run.Path = Join-Path $Repo 'tests/pester-v2'
    $c.Run.PassThru = $true
    $c.Output.Verbosity = 'Detailed'
    $c.Output.RenderMode = 'Plaintext'
    $result = Invoke-Pester -Configuration $c

    # Teardown: every container of the run, then proof that no cgroup, mount or conmon is left.
    $leftovers = @()
    try { Get-Container | Remove-Container -Force -Confirm:$false -ErrorAction Continue }
    catch { $leftovers += "removing containers failed: $_" }
    foreach ($m in @(Get-Content /proc/self/mountinfo | Where-Object { $_ -like "*$testRoot*" })) {
        $target = ($m -split ' ')[4]
        & umount -l $target 2>$null
        $leftovers += "mount left behind (now detached): $target"
    }
    $parentDir = Join-Path /sys/fs/cgroup $env:PODSHELL_CGROUP_PARENT
    if (Test-Path $parentDir) {
        foreach ($ch in @(Get-ChildItem $parentDir -Directory)) { $leftovers += "cgroup left behind: $($ch.FullName)" }
    }
    foreach ($p in @(Get-Process conmon -ErrorAction Ignore | Where-Object { (Get-Content "/proc/$($_.Id)/cmdline" -Raw -ErrorAction Ignore) -like "*$testRoot*" })) {
        $leftovers += "conmon left running: pid $($p.Id)"; Stop-Process -Id $p.Id -Force
    }
    $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    $summary.Passed = [int] $result.PassedCount
    $summary.Skipped = [int] $result.SkippedCount
    $summary.Failures = @($result.Failed | ForEach-Object { [ordered]@{ Name = $_.ExpandedPath; Message = [string] (@($_.ErrorRecord) | Select-Object -First 1) } }) +
        @($result.FailedBlocks | ForEach-Object { [ordered]@{ Name = ($_.Path -join ' '); Message = [string] (@($_.ErrorRecord) | Select-Object -First 1) } }) +
        @($result.FailedContainers | ForEach-Object { [ordered]@{ Name = [string] $_.Item; Message = [string] (@($_.ErrorRecord) | Select-Object -First 1) } }) +
        @($leftovers | ForEach-Object { [ordered]@{ Name = 'teardown'; Message = $_ } })
    $summary.Skips = @($result.Skipped | ForEach-Object { [ordered]@{ Name = $_.ExpandedPath; Reason = [string] (@($_.ErrorRecord) | Select-Object -First 1) } })
    if ($leftovers.Count -gt 0) { $failed += 1 }
}
catch {
    $failed += 1
    $summary.Failures = @($summary.Failures) + @([ordered]@{ Name = 'guest run'; Message = "$_ $($_.ScriptStackTrace)" })
}
$summary.Failed = $failed
$summary.RunSeconds = [Math]::Round([double] ((Get-Content /proc/uptime -Raw) -split ' ')[0] - $started, 1)
$summary | ConvertTo-Json -Depth 4 | Set-Content $SummaryPath
Write-Host "podshell-guest: $($summary.Passed) passed, $($summary.Failed) failed, $($summary.Skipped) skipped in $($summary.RunSeconds) s"
