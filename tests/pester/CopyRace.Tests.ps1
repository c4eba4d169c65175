BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

# Issue 15 item 1: a container that swaps a directory with a symlink to a host path while a copy runs must not
# make Copy-ContainerItem write or read the host's files. Resolving the path first and opening it later (check,
# then use) loses this race a few times in a few hundred tries; the engine must open every component relative to
# the container's root.
Describe 'Copy-ContainerItem while the container swaps a directory for a symlink' {
    BeforeAll {
        $script:name = New-TestName 'cprace'
        # A directory on the host that the container's symlink names; it does not exist inside the container.
        $script:hostDir = Join-Path $env:PODSHELL_TEST_ROOT "H-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $script:hostDir | Out-Null
        $script:hostMarker = "host-$([guid]::NewGuid().ToString('N'))"
        [IO.File]::WriteAllText((Join-Path $script:hostDir 'file'), $script:hostMarker)
        $script:work = Join-Path $env:PODSHELL_TEST_ROOT "cprace-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $script:work | Out-Null
        $script:inMarker = "in-$([guid]::NewGuid().ToString('N'))"
        [IO.File]::WriteAllText((Join-Path $script:work 'in.txt'), $script:inMarker)
        $loop = "mkdir /d && echo -n container > /d/file && ln -s $($script:hostDir) /dlink && touch /ready && " +
            'while :; do mv /d /dt; mv /dlink /d; mv /d /dlink; mv /dt /d; done'
        New-Container busybox -Name $script:name -Network none -- sh -c $loop | Out-Null
        Start-Container $script:name | Out-Null
        $deadline = (Get-Date).AddSeconds(20)
        while (-not ((Get-ContainerChange $script:name).Path -contains '/ready') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        # The old code lost this race 0-2 times in 10 s of copies in (about 2300 tries) and 8-10 times in 10 s of
        # copies out on a loaded two-core machine: each swap forks a process per rename, and the copy must be
        # preempted between its check and its use. So each way runs for a fixed time rather than a fixed count,
        # copy-in longer.
        $script:budgetIn = [TimeSpan]::FromSeconds(20)
        $script:budgetOut = [TimeSpan]::FromSeconds(10)
    }
    AfterAll {
        Stop-Container $script:name -Timeout 0 -ErrorAction SilentlyContinue | Out-Null
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $script:hostDir, $script:work -ErrorAction SilentlyContinue
    }

    It 'copy-in never creates a file in the host directory' {
        $tries = 0; $copied = 0
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed -lt $script:budgetIn) {
            # Many tries fail while /d is being renamed; only where a copy lands matters.
            Copy-ContainerItem (Join-Path $script:work 'in.txt') "$($script:name):/d/f$tries" -ErrorAction SilentlyContinue -ErrorVariable failed
            if (-not $failed) { $copied++ }
            $tries++
        }
        # Anything but the host's own 'file' was written by a copy into the container.
        $landed = @(Get-ChildItem $script:hostDir | Where-Object Name -ne 'file').Count
        Write-Host "copy-in: $tries tries, $copied copied, $landed written on the host"
        $landed | Should -Be 0 -Because "$landed of $tries copies into the container wrote into the host's $($script:hostDir)"
        $copied | Should -BeGreaterThan 0
    }
    It 'copy-out never returns the host file' {
        $tries = 0; $copied = 0; $leaked = 0
        $out = Join-Path $script:work 'out'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed -lt $script:budgetOut) {
            Copy-ContainerItem "$($script:name):/d/file" $out -ErrorAction SilentlyContinue
            if (Test-Path -LiteralPath $out -PathType Leaf) {
                $copied++
                if ([IO.File]::ReadAllText($out) -eq $script:hostMarker) { $leaked++ }
                Remove-Item -LiteralPath $out
            }
            $tries++
        }
        Write-Host "copy-out: $tries tries, $copied copied, $leaked returned the host's file"
        $leaked | Should -Be 0 -Because "$leaked of $tries copies out of the container returned the host's file"
        $copied | Should -BeGreaterThan 0
    }
}
