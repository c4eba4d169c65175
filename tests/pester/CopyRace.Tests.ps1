BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
}

# Issue 15 item 1: a container that swaps a directory with a symlink to a host path while a copy runs must not
# make Copy-ContainerItem write or read the host's files. Resolving the path first and opening it later (check,
# then use) loses this race; the engine must open every component relative to the container's root.
Describe 'Copy-ContainerItem while the container swaps a directory for a symlink' {
    BeforeAll {
        $script:name = New-TestName 'cprace'
        # A directory on the host that the container's symlink names; it does not exist inside the container.
        $script:hostDir = Join-Path $env:PODSHELL_TEST_ROOT "H-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        # The copies go 100 directories below /d, on both sides: a deep path widens the window between the old
        # code's check (lstat of each component by host path) and its use (the open), as a long path or a busy
        # machine does, so the race shows in seconds rather than minutes.
        $script:deep = (@('a') * 100) -join '/'
        $script:hostDeep = Join-Path $script:hostDir $script:deep
        New-Item -ItemType Directory -Force $script:hostDeep | Out-Null
        $script:hostMarker = "host-$([guid]::NewGuid().ToString('N'))"
        [IO.File]::WriteAllText((Join-Path $script:hostDeep 'file'), $script:hostMarker)
        $script:work = Join-Path $env:PODSHELL_TEST_ROOT "cprace-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        New-Item -ItemType Directory $script:work | Out-Null
        $script:inMarker = "in-$([guid]::NewGuid().ToString('N'))"
        [IO.File]::WriteAllText((Join-Path $script:work 'in.txt'), $script:inMarker)
        $loop = "mkdir -p /d/$($script:deep) && echo -n container > /d/$($script:deep)/file && ln -s $($script:hostDir) /dlink && touch /ready && " +
            'while :; do mv /d /dt; mv /dlink /d; mv /d /dlink; mv /dt /d; done'
        New-Container busybox -Name $script:name -Network none -- sh -c $loop | Out-Null
        Start-Container $script:name | Out-Null
        $deadline = (Get-Date).AddSeconds(20)
        while (-not ((Get-ContainerChange $script:name).Path -contains '/ready') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        # With the old code, 10 s of copies each way (about 1100 tries in, 1500 out on a loaded two-core machine) wrote
        # 8-11 files on the host and returned the host's file about 20 times; each way runs for a fixed time.
        $script:budgetIn = [TimeSpan]::FromSeconds(10)
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
            Copy-ContainerItem (Join-Path $script:work 'in.txt') "$($script:name):/d/$($script:deep)/f$tries" -ErrorAction SilentlyContinue -ErrorVariable failed
            if (-not $failed) { $copied++ }
            $tries++
        }
        # Anything but the host's own 'file' was written by a copy into the container.
        $landed = @(Get-ChildItem $script:hostDeep | Where-Object Name -ne 'file').Count
        Write-Host "copy-in: $tries tries, $copied copied, $landed written on the host"
        $landed | Should -Be 0 -Because "$landed of $tries copies into the container wrote into the host's $($script:hostDeep)"
        $copied | Should -BeGreaterThan 0
    }
    It 'copy-out never returns the host file' {
        $tries = 0; $copied = 0; $leaked = 0
        $out = Join-Path $script:work 'out'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed -lt $script:budgetOut) {
            Copy-ContainerItem "$($script:name):/d/$($script:deep)/file" $out -ErrorAction SilentlyContinue
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
