BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Runs a script in a container and waits for it to exit.
    function Invoke-TestContainer([string] $Name, [string] $Script, [object] $LogMaxSize) {
        $p = @{ Name = $Name }
        if ($LogMaxSize) { $p.LogMaxSize = $LogMaxSize }
        New-Container busybox @p -- sh -c $Script | Out-Null
        Start-Container $Name | Out-Null
        Wait-Container $Name | Out-Null
    }
}

Describe 'Get-ContainerLog' {
    BeforeAll {
        $script:name = New-TestName 'log'
        Invoke-TestContainer $script:name 'echo out1; echo err1 >&2; echo out2; sleep 1.5; echo late; printf "abc"; sleep 0.5; printf "def\n"'
    }
    AfterAll {
        Remove-Container $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'returns one object per line with Time, Stream and Line' {
        $logs = Get-ContainerLog $script:name
        $logs | Should -HaveCount 5
        $logs[0] | Should -BeOfType PodShell.ContainerLogEntry
        $logs[0].Time | Should -BeOfType datetime
        $logs[0].Time.Kind | Should -Be 'Utc'
        $logs.ContainerName | Select-Object -Unique | Should -Be $script:name
    }
    It 'keeps stdout and stderr apart' {
        $logs = Get-ContainerLog $script:name
        ($logs | Where-Object Stream -eq stderr).Line | Should -Be 'err1'
        ($logs | Where-Object Stream -eq stdout).Line | Should -Be @('out1', 'out2', 'late', 'abcdef')
    }
    It 'joins a line written in pieces (printf without a newline)' {
        # conmon really recorded it as a partial record followed by the rest
        $raw = Get-Content (Join-Path (Get-Container $script:name).BundlePath 'ctr.log')
        $raw -match ' stdout P abc$' | Should -HaveCount 1
        (Get-ContainerLog $script:name -Tail 1).Line | Should -Be 'abcdef'
    }
    It '-Tail keeps the last lines' {
        (Get-ContainerLog $script:name -Tail 2).Line | Should -Be @('late', 'abcdef')
        Get-ContainerLog $script:name -Tail 0 | Should -BeNullOrEmpty
    }
    It '-Since keeps the lines written at or after a time' {
        $late = (Get-ContainerLog $script:name | Where-Object Line -eq 'late').Time
        (Get-ContainerLog $script:name -Since $late).Line | Should -Be @('late', 'abcdef')
        (Get-ContainerLog $script:name -Since $late.ToLocalTime()).Line | Should -Be @('late', 'abcdef')
        (Get-ContainerLog $script:name -Since $late -Tail 1).Line | Should -Be 'abcdef'
        Get-ContainerLog $script:name -Since (Get-Date).AddMinutes(5) | Should -BeNullOrEmpty
    }
    It '-Timestamps returns podman-style lines with an RFC 3339 time first' {
        $lines = Get-ContainerLog $script:name -Timestamps
        $lines[0] | Should -BeOfType string
        $lines[0] | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}([+-]\d\d:\d\d|Z) out1$'
        $t = [datetimeoffset]::Parse(($lines[0] -split ' ', 2)[0], [cultureinfo]::InvariantCulture)
        $t.UtcDateTime | Should -Be (Get-ContainerLog $script:name -Tail 5)[0].Time
    }
    It 'reads the logs of piped containers' {
        (Get-Container $script:name | Get-ContainerLog -Tail 1).Line | Should -Be 'abcdef'
    }
}

Describe 'Get-ContainerLog -Follow' {
    It 'streams lines while the container runs and returns when it exits' {
        $name = New-TestName 'follow'
        try {
            New-Container busybox -Name $name -- sh -c 'for i in 1 2 3 4 5; do echo tick$i; sleep 0.3; done; echo done >&2' | Out-Null
            Start-Container $name | Out-Null
            $states = [System.Collections.Generic.List[string]]::new()
            $lines = Get-ContainerLog $name -Follow | ForEach-Object { $states.Add((Get-Container $name).State); $_ }
            $lines.Line | Should -Be @('tick1', 'tick2', 'tick3', 'tick4', 'tick5', 'done')
            $lines[-1].Stream | Should -Be 'stderr'
            $states[0] | Should -Be 'Running'   # the first line came while it ran, not after
            (Get-Container $name).State | Should -Be 'Exited'
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'is stopped by Stop() of its pipeline (Ctrl+C) and leaves the container running' {
        $name = New-TestName 'follow'
        $ps = $null
        try {
            New-Container busybox -Name $name -- sh -c 'echo started; while true; do sleep 1; done' | Out-Null
            Start-Container $name | Out-Null
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$env:PODSHELL_MODULE_PATH'; Get-ContainerLog '$name' -Follow")
            $out = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $out)
            $deadline = (Get-Date).AddSeconds(30)
            while ($out.Count -eq 0 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $out[0].Line | Should -Be 'started'
            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(10)) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $async.IsCompleted | Should -BeTrue
            (Get-Container $name).State | Should -Be 'Running'
        }
        finally {
            if ($ps) { $ps.Dispose() }
            Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
    It 'of an exited container returns its log at once' {
        $name = New-TestName 'follow'
        try {
            Invoke-TestContainer $name 'echo only'
            (Get-ContainerLog $name -Follow).Line | Should -Be 'only'
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}

Describe 'New-Container -LogMaxSize' {
    BeforeAll {
        # A runaway writer: lines of 100 bytes, then three numbered ones to find at the end.
        function Get-RunawayScript([int] $Lines) {
            "yes $('0123456789' * 10 -replace '.{9}$', 'abcdefghi') | head -n $Lines; seq 1 3"
        }
        function Get-LogBytes($Container) {
            (Get-ChildItem (Join-Path $Container.BundlePath 'ctr.log*') | Measure-Object Length -Sum).Sum
        }
    }
    It 'keeps the log under the limit and keeps the newest output' {
        $name = New-TestName 'logmax'
        try {
            Invoke-TestContainer $name 'i=1; while [ $i -le 4000 ]; do echo line-$i-xxxxxxxxxx; i=$((i+1)); done' -LogMaxSize 16KB
            $c = Get-Container $name
            $c.LogSizeMax | Should -Be 16384
            (Get-Item (Join-Path $c.BundlePath 'ctr.log')).Length | Should -BeLessOrEqual 16384
            $logs = Get-ContainerLog $name
            $logs[-1].Line | Should -Be 'line-4000-xxxxxxxxxx'
            $logs.Count | Should -BeLessThan 4000
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'bounds the files of a runaway writer to twice the limit, and -Tail finds its last lines' {
        $name = New-TestName 'logmax'
        try {
            # 10 MB of output against a 1 MB limit.
            Invoke-TestContainer $name (Get-RunawayScript 100000) -LogMaxSize 1MB
            $c = Get-Container $name
            Get-LogBytes $c | Should -BeLessOrEqual (2 * 1MB)
            (Get-Item (Join-Path $c.BundlePath 'ctr.log')).Length | Should -BeLessOrEqual 1MB
            (Get-ContainerLog $name -Tail 3).Line | Should -Be @('1', '2', '3')
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'applies the 10MB default when no limit is given' {
        $name = New-TestName 'logmax'
        try {
            # 15 MB of output, more than the default limit.
            Invoke-TestContainer $name (Get-RunawayScript 150000)
            $c = Get-Container $name
            $c.LogSizeMax | Should -Be 10MB
            (Get-Item (Join-Path $c.BundlePath 'ctr.log')).Length | Should -BeLessOrEqual 10MB
            Get-LogBytes $c | Should -BeLessOrEqual (2 * 10MB)
            (Get-ContainerLog $name -Tail 3).Line | Should -Be @('1', '2', '3')
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'takes a size string, and the old name -LogSizeMax' {
        $name = New-TestName 'logmax'
        try {
            (New-Container busybox -Name $name -LogSizeMax '1m' -- true).LogSizeMax | Should -Be 1048576
        }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
    It 'refuses <Value>' -ForEach @(@{ Value = 1000 }, @{ Value = 0 }, @{ Value = -5 }) {
        { New-Container busybox -LogMaxSize $Value -ErrorAction Stop -- true } |
            Should -Throw -ErrorId 'InvalidLogSizeMax,PodShell.NewContainerCommand'
    }
    It 'is unlimited with -1, as podman''s log_size_max' {
        $name = New-TestName 'logmax'
        try { (New-Container busybox -Name $name -LogMaxSize -1 -- true).LogSizeMax | Should -Be ([long]::MaxValue) }
        finally { Remove-Container $name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}
