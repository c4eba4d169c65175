# Dot-sourced by Stress.ps1: the worker pwsh processes (stress/Child.ps1) and their line protocol.
# Every worker started is kept in $Workers and ended by its own pid; nothing is ever killed by name.

$script:Workers = [Collections.Generic.List[object]]::new()
$script:Spare = [Collections.Generic.Queue[object]]::new()

function Start-Worker {
    $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    # pwsh.dll straight under dotnet: one process, so the pid we kill is the pwsh running the operation
    # (`dotnet pwsh` would be a launcher with pwsh as its child).
    foreach ($a in @($PwshDll, '-NoProfile', '-NonInteractive', '-File', $ChildScript, '-ModulePath', $ModulePath, '-LogPath', $ChildLog)) {
        $psi.ArgumentList.Add($a)
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $w = [pscustomobject]@{ Process = $p; Pid = $p.Id; Pending = $null; Ready = $false; StdErr = $p.StandardError.ReadToEndAsync() }
    $script:Workers.Add($w)
    $w
}

# One line from the worker, or $null when none came within the timeout (the read stays pending for the next call);
# '<EOF>' when the worker is gone.
function Read-WorkerLine($w, [int] $TimeoutMs) {
    if ($null -eq $w.Pending) { $w.Pending = $w.Process.StandardOutput.ReadLineAsync() }
    if (-not $w.Pending.Wait([Math]::Max(0, $TimeoutMs))) { return $null }
    $line = $w.Pending.Result
    $w.Pending = $null
    if ($null -eq $line) { return '<EOF>' }
    $line
}

function Wait-WorkerReady($w, [int] $TimeoutMs = 120000) {
    if ($w.Ready) { return }
    $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMs)
    while ($true) {
        $line = Read-WorkerLine $w ([int]($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        if ($null -eq $line) { throw "worker $($w.Pid) not ready after $TimeoutMs ms" }
        if ($line -eq '<EOF>') { throw "worker $($w.Pid) ended before it was ready: $($w.StdErr.Result)" }
        if ($line.StartsWith('READY')) { $w.Ready = $true; return }
    }
}

# A ready worker; a spare starts warming behind it, so the next kill does not wait for a pwsh start.
function Get-WarmWorker {
    $w = if ($script:Spare.Count) { $script:Spare.Dequeue() } else { Start-Worker }
    if ($script:Spare.Count -eq 0) { $script:Spare.Enqueue((Start-Worker)) }
    Wait-WorkerReady $w
    $w
}

function Restore-Worker($w) { $script:Spare.Enqueue($w) }

# Sends one script; returns when the worker said GO (the operation is running).
function Send-WorkerScript($w, [string] $Script) {
    $w.Process.StandardInput.WriteLine([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Script)))
    $w.Process.StandardInput.Flush()
    $line = Read-WorkerLine $w 60000
    if ($line -ne 'GO') { throw "worker $($w.Pid): expected GO, got '$line'" }
}

# The result of the running script ({ok, ms, out, err}), or $null when it did not finish within the timeout.
function Receive-WorkerResult($w, [int] $TimeoutMs) {
    $line = Read-WorkerLine $w $TimeoutMs
    if ($null -eq $line) { return $null }
    if ($line -eq '<EOF>') { throw "worker $($w.Pid) ended during an operation" }
    if (-not $line.StartsWith('DONE ')) { throw "worker $($w.Pid): unexpected line '$line'" }
    $line.Substring(5) | ConvertFrom-Json
}

function Invoke-Worker($w, [string] $Script, [int] $TimeoutMs = 180000) {
    Send-WorkerScript $w $Script
    $r = Receive-WorkerResult $w $TimeoutMs
    if ($null -eq $r) { throw "worker $($w.Pid): no result after $TimeoutMs ms for: $Script" }
    $r
}

# The pids whose parent is $ProcessId: what a killed worker leaves orphaned (runc, iptables...).
function Get-ChildPids([int] $ProcessId) {
    foreach ($d in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($d)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$d/stat") } catch { continue }
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        if ([int]$fields[1] -eq $ProcessId) { [int]$name }
    }
}

# SIGKILL (Process.Kill on Linux) to the worker by its pid. Returns the pids it had spawned, now orphans.
function Stop-WorkerHard($w) {
    $orphans = @(Get-ChildPids $w.Pid)
    try { $w.Process.Kill() } catch { }
    $w.Process.WaitForExit()
    $orphans
}

function Wait-PidsGone([int[]] $Pids, [int] $TimeoutMs = 10000) {
    $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMs)
    while ($true) {
        $alive = @($Pids | Where-Object { $_ -gt 0 -and (Test-Path "/proc/$_") })
        if ($alive.Count -eq 0 -or [DateTime]::UtcNow -gt $deadline) { return $alive }
        Start-Sleep -Milliseconds 50
    }
}

function Stop-WorkerGently($w) {
    if ($w.Process.HasExited) { return }
    try { $w.Process.StandardInput.Close() } catch { }
    if (-not $w.Process.WaitForExit(15000)) { try { $w.Process.Kill() } catch { }; $w.Process.WaitForExit() }
}

function Stop-AllWorkers {
    while ($script:Spare.Count) { $null = $script:Spare.Dequeue() }
    foreach ($w in $script:Workers) { Stop-WorkerGently $w }
}
