<#
.SYNOPSIS
A worker pwsh for stress/Stress.ps1: imports the module once, then runs the scripts its parent sends, one per line.

.DESCRIPTION
Protocol on stdin/stdout, one line each way, so the parent can kill this process at a chosen moment of an
operation without paying a pwsh start per kill:
  child  -> "READY <pid>"                 the module is loaded and one engine call has run (JIT, SQLite open)
  parent -> <base64 of a UTF-8 script>     one operation
  child  -> "GO"                           just before the script runs
  child  -> "DONE <json>"                  {ok, ms, out, err} after it ran
stdin at end of file ends the process. Everything else the engine writes goes to -LogPath.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LogPath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$log = [IO.StreamWriter]::new($LogPath, $true)
$log.AutoFlush = $true
[Console]::SetError($log)
$stdout = [Console]::Out
Import-Module $ModulePath
Get-Container | Out-Null
$stdout.WriteLine("READY $PID"); $stdout.Flush()
while ($null -ne ($line = [Console]::In.ReadLine())) {
    $script = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($line))
    $stdout.WriteLine('GO'); $stdout.Flush()
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $result = @{ ok = $true; out = ''; err = '' }
    try { $result.out = (@(& ([scriptblock]::Create($script))) | ForEach-Object { "$_" }) -join ';' }
    catch {
        $result.ok = $false
        $result.err = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
        $log.WriteLine("[$([DateTime]::UtcNow.ToString('HH:mm:ss.fff'))] $($result.err)")
    }
    $result.ms = [int] $sw.ElapsedMilliseconds
    $stdout.WriteLine('DONE ' + ($result | ConvertTo-Json -Compress)); $stdout.Flush()
}
