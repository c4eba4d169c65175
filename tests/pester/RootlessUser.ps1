# Dot-sourced by Rootless.Tests.ps1: ordinary users made by the test run, pwsh run as them, and their removal.
# The run is root; a test user cannot reach the running pwsh ($PSHOME lies under /root, mode 0700), so the run
# copies $PSHOME and the built module once into a world-readable directory under PODSHELL_TEST_ROOT, and the
# user runs `dotnet <copy>/pwsh.dll`. The module is copied into the copy's Modules folder, so a plain
# `Import-Module PodShell` finds it as it would on a user's machine.

$script:RootlessIdStart = 400000
$script:RootlessIdCount = 65536
$script:RootlessDotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source

# The shared copy of pwsh and the module; made on first use, reused by every test user of the run.
function Get-RootlessPwshHome {
    $dir = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-pwsh'
    if (Test-Path (Join-Path $dir 'pwsh.dll')) { return $dir }
    $staging = "$dir.staging-$PID"
    if (Test-Path $staging) { Remove-Item -Recurse -Force $staging }
    & cp -a $PSHOME $staging
    if ($LASTEXITCODE -ne 0) { throw "copying $PSHOME to $staging failed" }
    $moduleDir = Join-Path $staging 'Modules/PodShell'
    & cp -a $env:PODSHELL_MODULE_PATH $moduleDir
    if ($LASTEXITCODE -ne 0) { throw "copying $env:PODSHELL_MODULE_PATH to $moduleDir failed" }
    # Readable and traversable by everyone, whatever modes the sources had.
    & chmod -R 'a+rX' $staging
    & chmod 0755 $env:PODSHELL_TEST_ROOT
    [IO.Directory]::Move($staging, $dir)
    $dir
}

# "name:start:count" lines of /etc/subuid or /etc/subgid as ranges; comments and malformed lines are skipped.
function Get-SubIdRange([string] $Path) {
    if (-not (Test-Path $Path)) { return @() }
    foreach ($line in Get-Content $Path) {
        $f = $line.Trim() -split ':'
        if ($f.Count -ne 3 -or $line.TrimStart().StartsWith('#')) { continue }
        $start = 0L; $count = 0L
        if ([long]::TryParse($f[1], [ref] $start) -and [long]::TryParse($f[2], [ref] $count)) {
            [pscustomobject]@{ Owner = $f[0]; Start = $start; Count = $count }
        }
    }
}

function Add-SubIdLine([string] $Path, [string] $Line) {
    $text = (Test-Path $Path) ? [IO.File]::ReadAllText($Path) : ''
    if ($text.Length -gt 0 -and -not $text.EndsWith("`n")) { $text += "`n" }
    # Written in place: the file keeps its inode, owner and mode.
    [IO.File]::WriteAllText($Path, "$text$Line`n")
}

# Removes the first line equal to $Line; true when it was there.
function Remove-SubIdLine([string] $Path, [string] $Line) {
    if (-not (Test-Path $Path)) { return $false }
    $lines = [Collections.Generic.List[string]]::new([IO.File]::ReadAllLines($Path))
    $i = $lines.IndexOf($Line)
    if ($i -lt 0) { return $false }
    $lines.RemoveAt($i)
    [IO.File]::WriteAllText($Path, ($lines.Count -gt 0) ? (($lines -join "`n") + "`n") : '')
    $true
}

function New-RootlessTestUser {
    [CmdletBinding()]
    param([string] $Prefix = 'pstu')
    if (-not $env:PODSHELL_TEST_ROOT) { throw 'PODSHELL_TEST_ROOT is not set: run the tests through tests/pester/run.ps1.' }
    $pwshHome = Get-RootlessPwshHome
    $homes = Join-Path $env:PODSHELL_TEST_ROOT 'rootless-home'
    New-Item -ItemType Directory -Force -Path $homes | Out-Null
    & chmod 0755 $homes
    $name = "$Prefix$([guid]::NewGuid().ToString('N').Substring(0, 6))"
    $userHome = Join-Path $homes $name
    # SUB_*_COUNT=0: useradd must not allocate subordinate ids of its own (Debian's does when /etc/subuid
    # exists); the range is chosen and added below, so that exactly those lines can be removed again.
    $out = & useradd -m -d $userHome -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 $name 2>&1
    if ($LASTEXITCODE -ne 0) { throw "useradd $name failed ($LASTEXITCODE): $out" }
    $user = [pscustomobject]@{
        Name        = $name
        Uid         = [int] (& id -u $name)
        Gid         = [int] (& id -g $name)
        Home        = $userHome
        SubUidStart = 0L
        SubGidStart = 0L
        SubIdCount  = $script:RootlessIdCount
        PwshHome    = $pwshHome
        AddedLines  = [Collections.Generic.List[object]]::new()
        Calls       = 0
    }
    try {
        # One start that is free in both files, so that uid and gid of a file map alike.
        $taken = @(Get-SubIdRange /etc/subuid) + @(Get-SubIdRange /etc/subgid)
        $start = [long] $script:RootlessIdStart
        while (@($taken | Where-Object { $_.Start -lt $start + $script:RootlessIdCount -and $start -lt $_.Start + $_.Count }).Count -gt 0) {
            $start += $script:RootlessIdCount
        }
        $line = "${name}:${start}:$($script:RootlessIdCount)"
        foreach ($file in '/etc/subuid', '/etc/subgid') {
            Add-SubIdLine $file $line
            $user.AddedLines.Add([pscustomobject]@{ Path = $file; Line = $line })
        }
        $user.SubUidStart = $start
        $user.SubGidStart = $start
    }
    catch {
        Remove-RootlessTestUser -User $user -WarningAction SilentlyContinue | Out-Null
        throw
    }
    $user
}

# Runs $Script in pwsh as the user, with a clean environment and the module imported, and returns
# Output (the script's output, as deserialized objects), Warnings (messages), Errors (ErrorId, the
# FullyQualifiedErrorId up to its comma, with Message and Category; Terminating for the one that ended the
# script), ExitCode, and StdOut/StdErr of the process (for diagnostics).
function Invoke-AsRootlessUser {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $User,
        [Parameter(Mandatory)] [string] $Script,
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120,
        # A cgroup directory to start the user's pwsh in (moved there by root before dropping to the user), as
        # systemd starts a user's session inside its delegated user@<uid>.service.
        [string] $Cgroup
    )
    $User.Calls++
    $callDir = Join-Path $User.Home ".rootless-call-$($User.Calls)-$PID"
    New-Item -ItemType Directory -Force -Path $callDir | Out-Null
    $resultPath = Join-Path $callDir 'result.clixml'
    $scriptPath = Join-Path $callDir 'script.ps1'
    $wrapperPath = Join-Path $callDir 'wrapper.ps1'
    Set-Content -LiteralPath $scriptPath -Value $Script
    # The script runs in a nested pipeline of the same runspace, not inside the wrapper's try: an enclosing
    # try/catch would turn a cmdlet's statement-terminating error (ThrowTerminatingError) into one that ends
    # the whole script, and a test could not see several ErrorIds in one call.
    Set-Content -LiteralPath $wrapperPath -Value @'
param([string] $ScriptPath, [string] $ResultPath)
$global:__RootlessSink = [Collections.Generic.List[object]]::new()
$errors = [Collections.Generic.List[object]]::new()
function ConvertTo-CallError($e, [bool] $terminating) {
    [pscustomobject]@{
        ErrorId = ($e.FullyQualifiedErrorId -split ',')[0]; FullyQualifiedErrorId = $e.FullyQualifiedErrorId
        Message = $e.Exception.Message; Category = [string] $e.CategoryInfo.Category
        TargetObject = [string] $e.TargetObject; Terminating = $terminating }
}
$global:LASTEXITCODE = 0
$ps = $null
try {
    Import-Module PodShell -ErrorAction Stop
    $ps = [powershell]::Create('CurrentRunspace')
    $null = $ps.AddScript("& '$($ScriptPath -replace "'", "''")' 3>&1 | ForEach-Object { `$global:__RootlessSink.Add(`$_) }")
    $null = $ps.Invoke()
}
catch {
    # A throw in the script reaches here as "Exception calling Invoke" around the script's own error.
    $inner = $_.Exception
    if ($inner -is [System.Management.Automation.MethodInvocationException] -and $inner.InnerException) { $inner = $inner.InnerException }
    $errors.Add((ConvertTo-CallError (($inner -is [System.Management.Automation.IContainsErrorRecord]) ? $inner.ErrorRecord : $_) $true))
}
finally {
    $recorded = @(if ($ps) { $ps.Streams.Error | ForEach-Object { ConvertTo-CallError $_ $false } })
    [pscustomobject]@{
        Output   = @($global:__RootlessSink | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] })
        Warnings = @($global:__RootlessSink | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
        Errors   = @($recorded) + @($errors)
    } | Export-Clixml -LiteralPath $ResultPath -Depth 4
}
exit ($errors.Count -gt 0 ? 1 : [int] $global:LASTEXITCODE)
'@
    & chown -R "$($User.Uid):$($User.Gid)" $callDir
    & chmod 0700 $callDir

    # stdout and stderr go to files, not pipes: processes the script leaves running (the engine's pause
    # process, conmon) inherit them, and a pipe would stay open as long as they live.
    $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $shell = 'exec "$@" </dev/null >"$0.out" 2>"$0.err"'
    if ($Cgroup) { $shell = "echo `$`$ > '$Cgroup/cgroup.procs' || exit 125; $shell" }
    foreach ($a in '-c', $shell, (Join-Path $callDir 'std'),
        '/usr/bin/setpriv', "--reuid=$($User.Uid)", "--regid=$($User.Gid)", '--init-groups', '--',
        $script:RootlessDotnet, (Join-Path $User.PwshHome 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-NoLogo',
        '-File', $wrapperPath, '-ScriptPath', $scriptPath, '-ResultPath', $resultPath) {
        $psi.ArgumentList.Add($a)
    }
    $psi.WorkingDirectory = $User.Home
    $psi.UseShellExecute = $false
    # A clean environment: the engine must find its own roots as the user, so no PODSHELL_* comes along
    # unless the test passes it.
    $psi.Environment.Clear()
    $psi.Environment['HOME'] = $User.Home
    $psi.Environment['PATH'] = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin'
    $psi.Environment['USER'] = $User.Name
    $psi.Environment['LOGNAME'] = $User.Name
    $psi.Environment['LANG'] = 'C.UTF-8'
    $psi.Environment['TERM'] = 'dumb'
    $psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
    $psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
    if ($env:TMPDIR) { $psi.Environment['TMPDIR'] = $env:TMPDIR }
    foreach ($k in $Environment.Keys) { $psi.Environment[[string] $k] = [string] $Environment[$k] }

    $p = [Diagnostics.Process]::Start($psi)
    try {
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            & kill -KILL $p.Id 2>$null
            $p.WaitForExit(5000) | Out-Null
            throw "pwsh as $($User.Name) did not finish within $TimeoutSeconds s: $(Get-Content -Raw "$callDir/std.out" -ErrorAction Ignore) $(Get-Content -Raw "$callDir/std.err" -ErrorAction Ignore)"
        }
        $result = [pscustomobject]@{
            Output   = @()
            Warnings = @()
            Errors   = @()
            ExitCode = $p.ExitCode
            StdOut   = [string] (Get-Content -Raw -LiteralPath "$callDir/std.out" -ErrorAction Ignore)
            StdErr   = [string] (Get-Content -Raw -LiteralPath "$callDir/std.err" -ErrorAction Ignore)
        }
        if (Test-Path -LiteralPath $resultPath) {
            $r = Import-Clixml -LiteralPath $resultPath
            $result.Output = @($r.Output)
            $result.Warnings = @($r.Warnings)
            $result.Errors = @($r.Errors)
        }
        elseif ($result.ExitCode -eq 0) { $result.ExitCode = -1 }
        $result
    }
    finally {
        $p.Dispose()
        Remove-Item -LiteralPath $callDir -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# pids of every process whose real, effective or saved uid is the user's or in its subordinate range
# (container processes of the user run as its own uid or as subordinate ids on the host).
function Get-RootlessUserProcessId($User) {
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $pidText = [IO.Path]::GetFileName($dir)
        if ($pidText -notmatch '^\d+$') { continue }
        try { $status = [IO.File]::ReadAllLines("$dir/status") } catch { continue }
        $uidLine = $status | Where-Object { $_.StartsWith('Uid:') } | Select-Object -First 1
        if (-not $uidLine) { continue }
        $ids = @(($uidLine -split '\s+')[1..3] | ForEach-Object { [long] $_ })
        foreach ($id in $ids) {
            if ($id -eq $User.Uid -or ($User.SubUidStart -gt 0 -and $id -ge $User.SubUidStart -and $id -lt $User.SubUidStart + $User.SubIdCount)) {
                [int] $pidText
                break
            }
        }
    }
}

# Mount lines in any mount namespace visible from here whose source, target or options name one of $Paths.
function Get-RootlessUserMount([string[]] $Paths) {
    $seen = @{}
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        if ([IO.Path]::GetFileName($dir) -notmatch '^\d+$') { continue }
        try { $ns = [IO.File]::ResolveLinkTarget("$dir/ns/mnt", $false)?.ToString() } catch { continue }
        if (-not $ns -or $seen.ContainsKey($ns)) { continue }
        try { $lines = [IO.File]::ReadAllLines("$dir/mountinfo") } catch { continue }
        $seen[$ns] = $true
        foreach ($l in $lines) {
            foreach ($p in $Paths) {
                if ($l.Contains($p)) { [pscustomobject]@{ Pid = [int] [IO.Path]::GetFileName($dir); Namespace = $ns; Line = $l }; break }
            }
        }
    }
}

# Ends the user's processes, checks for its mounts, removes exactly the subordinate-id lines this run added,
# deletes the user and its home, and returns what could not be removed (also written as warnings).
function Remove-RootlessTestUser {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $User)
    $problems = [Collections.Generic.List[string]]::new()
    if (-not $User) { return }
    $runRoots = @(
        (Join-Path ($env:TMPDIR ? $env:TMPDIR : '/tmp') "podshell-run-$($User.Uid)"),
        "/run/user/$($User.Uid)/podshell")

    # Processes: the pause process, conmon and container processes the run started as this user. Kill
    # them by pid until none is left (a dying parent can leave a child to be found on the next pass).
    for ($pass = 0; $pass -lt 50; $pass++) {
        $pids = @(Get-RootlessUserProcessId $User)
        if ($pids.Count -eq 0) { break }
        & kill -KILL @pids 2>$null
        Start-Sleep -Milliseconds 100
    }
    $left = @(Get-RootlessUserProcessId $User)
    foreach ($p in $left) {
        $cmd = (Get-Content "/proc/$p/cmdline" -Raw -ErrorAction Ignore) -replace "`0", ' '
        $problems.Add("process $p of $($User.Name) could not be ended: $cmd")
    }

    # Mounts: with the pause process gone its mount namespace is gone too; one still visible anywhere
    # (in the host's namespace, or a namespace someone else keeps) is a leak. Detached, and reported.
    $mounts = @(Get-RootlessUserMount (@($User.Home) + $runRoots))
    foreach ($m in $mounts) {
        $problems.Add("mount of $($User.Name) left behind in $($m.Namespace) (pid $($m.Pid)): $($m.Line)")
        $target = ($m.Line -split ' ')[4]
        & nsenter -t $m.Pid -m -- umount -l $target 2>$null
    }

    foreach ($added in @($User.AddedLines)) {
        try {
            if (-not (Remove-SubIdLine $added.Path $added.Line)) { $problems.Add("line '$($added.Line)' was no longer in $($added.Path)") }
        }
        catch { $problems.Add("could not remove '$($added.Line)' from $($added.Path): $_") }
    }

    if (& getent passwd $User.Name) {
        $out = & userdel -r $User.Name 2>&1
        # 12: the home could not be removed (checked below); 6: no such user.
        if ($LASTEXITCODE -notin 0, 12) { $problems.Add("userdel -r $($User.Name) failed ($LASTEXITCODE): $out") }
    }
    # userdel -r stops at nothing it can reach as root, but files of subordinate ids inside a
    # read-only or immutable tree could remain: remove what is left and say so if that fails.
    foreach ($d in @($User.Home) + $runRoots) {
        if (Test-Path -LiteralPath $d) {
            Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            if (Test-Path -LiteralPath $d) { $problems.Add("could not remove $d") }
        }
    }
    # What pwsh and the engine leave at the top of /tmp as that user (e.g. .NET's diagnostic sockets).
    $tmp = $env:TMPDIR ? $env:TMPDIR : '/tmp'
    foreach ($item in @(& find $tmp -mindepth 1 -maxdepth 1 -uid $User.Uid 2>$null)) {
        Remove-Item -LiteralPath $item -Recurse -Force -ErrorAction SilentlyContinue
        if (Test-Path -LiteralPath $item) { $problems.Add("could not remove $item") }
    }
    foreach ($pr in $problems) { Write-Warning "Remove-RootlessTestUser: $pr" }
    $problems.ToArray()
}
