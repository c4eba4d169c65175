# PowerShell conventions every PodShell cmdlet keeps, checked against the exported cmdlets (data-driven, so a
# new cmdlet is checked without editing this file) and against real objects from a running container.
# Rules (docs/design.md, "Cmdlet conventions"): ShouldProcess, ConfirmImpact, pipeline binding, errors, completion,
# cancellation; tables fit 80 columns (issue 20 item 3), lists 120.

BeforeDiscovery {
    if (-not (Get-Module PodShell)) { Import-Module $env:PODSHELL_MODULE_PATH -ErrorAction Stop }
    # Verbs that by PowerShell convention only read: everything else changes state and must honour -WhatIf.
    $readOnlyVerbs = 'Get', 'Wait', 'Test', 'Find', 'Search', 'Measure', 'Resolve', 'Show', 'Compare'
    $cmdlets = @(Get-Command -Module PodShell -CommandType Cmdlet | Sort-Object Name)

    $stateChanging = @($cmdlets | Where-Object Verb -NotIn $readOnlyVerbs | ForEach-Object { @{ Name = $_.Name; Verb = $_.Verb } })
    $removals = @($cmdlets | Where-Object Verb -EQ 'Remove' | ForEach-Object { @{ Name = $_.Name } })
    $getters = @($cmdlets | Where-Object Verb -EQ 'Get' | ForEach-Object { @{ Name = $_.Name } })
    $outputTypes = @($cmdlets |
            ForEach-Object { $_.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true) } |
            ForEach-Object { $_.Type.Name } |
            Where-Object { $_ -and $_ -notlike 'System.*' } |
            Sort-Object -Unique |
            ForEach-Object { @{ TypeName = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Column names of the first table header (the line above the first line of dashes).
    function Get-TableHeader([string[]] $Lines) {
        for ($i = 1; $i -lt $Lines.Count; $i++) {
            if ($Lines[$i] -match '^[\s-]+$' -and $Lines[$i] -match '-') { return @(-split $Lines[$i - 1]) }
        }
        @()
    }
    # A value as comparable text: arrays joined, times in UTC round-trip form, enums by name.
    function ConvertTo-ComparableText($Value) {
        if ($null -eq $Value) { return '' }
        if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
        if ($Value -is [System.Collections.IDictionary]) { return (@($Value.Keys | Sort-Object | ForEach-Object { "$_=$($Value[$_])" }) -join ';') }
        if ($Value -is [System.Collections.IEnumerable] -and $Value -isnot [string]) { return (@($Value | ForEach-Object { "$_" }) -join ',') }
        "$Value"
    }

    # One running container with limits and a log line: the source of the real objects below.
    $script:marker = "conventions-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $script:name = New-TestName 'conv'
    $script:ctr = New-Container busybox -Name $script:name -Memory 64MB -PidsLimit 50 -Label @{ suite = 'conventions' } `
        sh '-c' "echo $script:marker; sleep infinity" | Start-Container -PassThru
    $deadline = [datetime]::UtcNow.AddSeconds(20)
    while (-not (Get-ContainerLog $script:name | Where-Object Line -EQ $script:marker) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }

    $script:samples = @{
        'PodShell.Container'          = @(Get-Container $script:name)
        'PodShell.ContainerImage'     = @(Get-ContainerImage busybox)
        'PodShell.ContainerNamespace' = @(Get-ContainerNamespace $script:name)
        'PodShell.ContainerCgroup'    = @(Get-ContainerCgroup $script:name)
        'PodShell.OverlayLayer'       = @(Get-OverlayLayer -Container $script:name)
        'PodShell.ContainerLogEntry'  = @(Get-ContainerLog $script:name)
        'PodShell.ContainerVolume'    = @(New-ContainerVolume (New-TestName 'convvol'))
        'PodShell.Engine.Runtime.DetachedExec' = @(Invoke-ContainerCommand $script:name -Detach -- sleep 1)
        'PodShell.ContainerNetwork'   = @(New-ContainerNetwork -Name (New-TestName 'convnet'))
        'PodShell.ContainerStats'     = @(Get-ContainerStats $script:name -Interval 0.2)
        'PodShell.ContainerProcess'   = @(Get-ContainerProcess $script:name)
        'PodShell.ContainerChange'    = @(Invoke-ContainerCommand $script:name -- touch /root/conventions-change; Get-ContainerChange $script:name)
        'PodShell.StorageUsage'       = @(Get-ContainerStorageUsage)
        'PodShell.HostRequirement'    = @(Test-ContainerHost)
    }
}

AfterAll {
    if ($script:name) { Remove-Container -Name $script:name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    if ($script:samples) {
        $script:samples['PodShell.ContainerVolume'] | Remove-ContainerVolume -Confirm:$false -ErrorAction SilentlyContinue
        $script:samples['PodShell.ContainerNetwork'] | Remove-ContainerNetwork -Confirm:$false -ErrorAction SilentlyContinue
    }
}

Describe 'ShouldProcess on <Name>' -ForEach $stateChanging -AllowNullOrEmptyForEach {
    It 'has -WhatIf and -Confirm (SupportsShouldProcess)' {
        $cmd = Get-Command $Name
        $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        $cmd.Parameters.Keys | Should -Contain 'Confirm'
        $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0].SupportsShouldProcess | Should -BeTrue
    }
}

Describe 'ConfirmImpact of <Name>' -ForEach $removals -AllowNullOrEmptyForEach {
    It 'is High, so it prompts by default' {
        $attr = (Get-Command $Name).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
        $attr.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::High)
    }
}

Describe 'OutputType of <Name>' -ForEach $getters -AllowNullOrEmptyForEach {
    It 'is declared, so tab completion knows the properties downstream' {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
    }
}

Describe 'Formatting of <TypeName>' -ForEach $outputTypes -AllowNullOrEmptyForEach {
    BeforeAll {
        $objects = $script:samples[$TypeName]
    }
    It 'has a real sample object from the running container' {
        $objects | Should -Not -BeNullOrEmpty -Because "add a sample of $TypeName to `$script:samples in this file"
        $objects[0].GetType().FullName | Should -Be $TypeName
    }
    It 'renders with Format-Table in an 80-column terminal, without error, dropping no column' {
        $err = $null
        $text = $objects | Format-Table -ShowError -ErrorVariable err | Out-String -Width 80
        $err | Should -BeNullOrEmpty
        $text | Should -Not -Match '#ERR'
        $lines = $text -split "`r?`n"
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 -Because "the line '$line' must fit" }
        # PowerShell silently drops the columns that do not fit: compare with an unlimited width.
        $wide = Get-TableHeader (($objects | Format-Table | Out-String -Width 1000) -split "`r?`n")
        if ($wide.Count -gt 0) {
            Get-TableHeader $lines | Should -Be $wide
        }
        else {
            # A view without headers (the log): the object's own text must still be shown.
            $text | Should -BeLike "*$($objects[0].ToString())*"
        }
    }
    It 'renders with Format-List without error' {
        $err = $null
        $text = $objects | Format-List -ShowError -ErrorVariable err | Out-String -Width 120
        $err | Should -BeNullOrEmpty
        $text | Should -Not -Match '#ERR'
        $text.Trim() | Should -Not -BeNullOrEmpty
        foreach ($line in ($text -split "`r?`n")) { $line.Length | Should -BeLessOrEqual 120 }
    }
}

Describe 'Get-Container in an 80-column terminal (issue 20 item 3)' {
    It 'has no line over 80 characters and shows Name, State, MemoryMax, Cpus, PidsMax unbroken, most useful first' {
        $text = Get-Container $script:name | Format-Table | Out-String -Width 80
        $lines = $text -split "`r?`n"
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 -Because "the line '$line' must fit" }
        $header = Get-TableHeader $lines
        $header | Should -Be @('Name', 'State', 'Image', 'MemoryMax', 'Cpus', 'PidsMax', 'Id')
        $row = $lines | Where-Object { $_ -like "$($script:name.Substring(0, [Math]::Min(14, $script:name.Length)))*" }
        $row | Should -Match 'Running\s.*\s64MiB\s+max\s+50\s'
        $row | Should -Match "$([regex]::Escape($script:ctr.Image)) " -Because "the image name '$($script:ctr.Image)' (busybox or busybox:latest, the most common) is not cut"
        $text | Should -Not -Match 'Memo\s*\r?\n'
    }
    It 'Get-ContainerImage fits 80 columns with the Created column on one line' {
        $text = Get-ContainerImage busybox | Format-Table | Out-String -Width 80
        $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 }
        Get-TableHeader $lines | Should -Be @('Names', 'Id', 'Size', 'Created')
        # Header, dashes and one row: no wrapped continuation line.
        $lines.Count | Should -Be 3
        $lines[2] | Should -Match '\d{4}-\d\d-\d\d \d\d:\d\d\s*$'
    }
}

Describe 'CLIXML round trip of <TypeName>' -ForEach @(
    @{ TypeName = 'PodShell.Container'; Properties = 'Name', 'State', 'MemoryMax', 'Created', 'Labels'
        Expected = @{ State = 'Running'; MemoryMax = 67108864 } }
    @{ TypeName = 'PodShell.ContainerCgroup'; Properties = 'ContainerName', 'MemoryMax', 'PidsMax'
        Expected = @{ MemoryMax = 67108864; PidsMax = 50 } }
    @{ TypeName = 'PodShell.ContainerNamespace'; Properties = 'ContainerName', 'Type', 'Inode'; Expected = @{} }
    @{ TypeName = 'PodShell.ContainerImage'; Properties = 'Id', 'Names'; Expected = @{ Names = 'busybox:latest' } }
    @{ TypeName = 'PodShell.OverlayLayer'; Properties = 'Id', 'Kind'; Expected = @{ Kind = 'Container' } }
    @{ TypeName = 'PodShell.ContainerLogEntry'; Properties = 'ContainerName', 'Line'; Expected = @{} }
    @{ TypeName = 'PodShell.ContainerVolume'; Properties = 'Name', 'Mountpoint', 'Created'; Expected = @{ Driver = 'local' } }
    @{ TypeName = 'PodShell.ContainerStats'; Properties = 'ContainerName', 'MemoryLimit', 'PidsCurrent'; Expected = @{ MemoryLimit = 67108864 } }
    @{ TypeName = 'PodShell.ContainerProcess'; Properties = 'Pid', 'CommandLine'; Expected = @{} }
    @{ TypeName = 'PodShell.ContainerChange'; Properties = 'Path', 'Kind'; Expected = @{} }
    @{ TypeName = 'PodShell.ContainerNetwork'; Properties = 'Name', 'Subnet', 'Gateway'; Expected = @{} }
    @{ TypeName = 'PodShell.Engine.Runtime.DetachedExec'; Properties = 'ContainerName', 'ExecId', 'Pid', 'Command'; Expected = @{} }
) {
    BeforeAll {
        $original = $script:samples[$TypeName][0]
        $file = Join-Path $env:PODSHELL_TEST_ROOT "$(New-TestName 'clixml').xml"
        try {
            $original | Export-Clixml -Path $file
            $copy = Import-Clixml -Path $file
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
    }
    It 'keeps <Properties> with useful values' {
        $copy.PSObject.TypeNames | Should -Contain "Deserialized.$TypeName"
        foreach ($p in $Properties) {
            $text = ConvertTo-ComparableText $copy.$p
            $text | Should -Not -BeNullOrEmpty -Because "$p must survive the round trip"
            $text | Should -Not -Match '^(System\.|PodShell\.)' -Because "$p must keep its value, not its type name"
            $text | Should -Be (ConvertTo-ComparableText $original.$p) -Because "$p must keep its value"
        }
        foreach ($k in $Expected.Keys) { ConvertTo-ComparableText $copy.$k | Should -Be "$($Expected[$k])" }
    }
    It 'keeps the values a script needs' {
        # Spot checks of the meaning, as a script reading the file uses it.
        switch ($TypeName) {
            'PodShell.Container' {
                $copy.Name | Should -Be $script:name
                "$($copy.State)" | Should -Be 'Running'
                @($copy | Where-Object State -EQ 'Running').Count | Should -Be 1 -Because 'Where-Object State -eq Running must work on an imported snapshot'
                $copy.MemoryMax | Should -Be 64MB
                $copy.Labels['suite'] | Should -Be 'conventions'
            }
            'PodShell.ContainerNamespace' { $copy.Inode | Should -BeGreaterThan 0 }
            'PodShell.ContainerImage' { $copy.Id | Should -Match '^[0-9a-f]{64}$' }
            'PodShell.OverlayLayer' { $copy.Id | Should -Match '^[0-9a-f]{64}$'; "$($copy.Kind)" | Should -Be 'Container' }
            'PodShell.ContainerLogEntry' { $copy.Line | Should -Be $script:marker }
            'PodShell.ContainerCgroup' { $copy.ContainerName | Should -Be $script:name }
        }
    }
}

Describe 'Tab completion' {
    BeforeAll {
        $script:prefix = New-TestName 'cmpl'
        $script:completed = @(
            New-Container busybox -Name "$script:prefix-a" sleep 1
            New-Container busybox -Name "$script:prefix-b" sleep 1
        )
        $script:imageName = New-TestName 'cmplimg'
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $script:imageName | Out-Null
        function Complete([string] $InputScript) {
            @((TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches.CompletionText)
        }
    }
    AfterAll {
        $script:completed | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
        Remove-ContainerImage $script:imageName -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
    It 'Get-Container -Name with a prefix completes the existing container names' {
        Complete "Get-Container -Name $script:prefix" | Should -Be @("$script:prefix-a", "$script:prefix-b")
    }
    It 'Stop-Container with a positional prefix completes them too' {
        Complete "Stop-Container $script:prefix-b" | Should -Be @("$script:prefix-b")
    }
    It 'New-Container with an image name prefix completes the image names' {
        Complete "New-Container $script:imageName" | Should -Be @("${script:imageName}:latest")
        Complete 'New-Container busyb' | Should -Contain 'busybox:latest'
    }
    It 'every -Image, -Signal, -StopSignal, -CapAdd and -CapDrop has an argument completer (issue 20 item 3)' {
        $missing = foreach ($cmd in Get-Command -Module PodShell -CommandType Cmdlet) {
            foreach ($p in $cmd.Parameters.Values | Where-Object Name -In 'Image', 'Signal', 'StopSignal', 'CapAdd', 'CapDrop') {
                if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] })) { "$($cmd.Name) -$($p.Name)" }
            }
        }
        $missing | Should -BeNullOrEmpty
    }
    It 'image names complete on every -Image and on the image cmdlets' {
        Complete "Get-Container -Image $script:imageName" | Should -Be @("${script:imageName}:latest")
        Complete "Get-OverlayLayer -Image $script:imageName" | Should -Be @("${script:imageName}:latest")
        Complete "Invoke-Container -Image $script:imageName" | Should -Be @("${script:imageName}:latest")
        Complete "Export-ContainerImage $script:imageName" | Should -Be @("${script:imageName}:latest")
    }
    It 'signal names complete on -Signal and -StopSignal, with or without SIG' {
        Complete "Send-ContainerSignal $script:prefix-a -Signal TE" | Should -Be @('SIGTERM')
        Complete "Stop-Container $script:prefix-a -Signal SIGKI" | Should -Be @('SIGKILL')
        Complete 'New-Container busybox -StopSignal SIGUSR' | Should -Be @('SIGUSR1', 'SIGUSR2')
        # Every offered name is one the engine accepts.
        $all = Complete 'Send-ContainerSignal x -Signal '
        $all.Count | Should -BeGreaterThan 30
        foreach ($n in $all) { [PodShell.Engine.Runtime.Signals]::Parse($n) | Should -BeGreaterThan 0 }
    }
    It 'capability names complete on -CapAdd and -CapDrop, short or with CAP_' {
        Complete 'New-Container busybox -CapAdd NET_R' | Should -Be @('NET_RAW')
        Complete 'Invoke-Container busybox -CapDrop cap_sys_adm' | Should -Be @('CAP_SYS_ADMIN')
        Complete 'New-Container busybox -CapDrop AL' | Should -Be @('ALL')
    }
    It 'a prefix that matches nothing completes nothing' {
        $none = "zz$([guid]::NewGuid().ToString('N'))"
        Complete "Get-Container -Name $none" | Should -BeNullOrEmpty
        Complete "New-Container $none" | Should -BeNullOrEmpty
    }
}

Describe 'Get-Container filters -State, -Label, -Image (issue 20 item 3)' {
    BeforeAll {
        $script:fp = New-TestName 'filt'
        $script:fImg = New-TestName 'filtimg'
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $script:fImg | Out-Null
        $script:fa = New-Container busybox -Name "$script:fp-a" -Label @{ app = 'web'; tier = 'front' } sleep infinity | Start-Container -PassThru
        $script:fb = New-Container busybox -Name "$script:fp-b" -Label @{ app = 'db' } sleep 1
        $script:fc = New-Container $script:fImg -Name "$script:fp-c" sleep 1
        function Names { @($input | ForEach-Object Name | Sort-Object) }
    }
    AfterAll {
        Get-Container "$script:fp-*" | Remove-Container -Force -ErrorAction SilentlyContinue
        Remove-ContainerImage $script:fImg -Force -ErrorAction SilentlyContinue
    }
    It '-State keeps the containers in one of the states' {
        Get-Container "$script:fp-*" -State Running | Names | Should -Be @("$script:fp-a")
        Get-Container "$script:fp-*" -State Created, Exited | Names | Should -Be @("$script:fp-b", "$script:fp-c")
        Get-Container -State Running | Names | Should -Contain "$script:fp-a"
        Get-Container -State Running | Names | Should -Not -Contain "$script:fp-b"
        Get-Container -Id $script:fb.Id -State Running | Should -BeNullOrEmpty
        { Get-Container -State Sleeping } | Should -Throw '*Sleeping*'
    }
    It '-Label takes key=value, key, several (all must match) and a hashtable' {
        Get-Container "$script:fp-*" -Label app=web | Names | Should -Be @("$script:fp-a")
        Get-Container "$script:fp-*" -Label app | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container "$script:fp-*" -Label @{ app = 'db' } | Names | Should -Be @("$script:fp-b")
        Get-Container "$script:fp-*" -Label app=web, tier=front | Names | Should -Be @("$script:fp-a")
        Get-Container "$script:fp-*" -Label app=web, tier=back | Should -BeNullOrEmpty
        Get-Container -Label "app=web" | Names | Should -Contain "$script:fp-a"
    }
    It '-Image takes a name, a name with a tag, a wildcard, an id prefix or an image object' {
        $bb = Get-ContainerImage busybox
        Get-Container "$script:fp-*" -Image busybox | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container "$script:fp-*" -Image busybox:latest | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container "$script:fp-*" -Image 'busyb*' | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container "$script:fp-*" -Image $bb.Id.Substring(0, 12) | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container "$script:fp-*" -Image $bb | Names | Should -Be @("$script:fp-a", "$script:fp-b")
        Get-Container -Image $script:fImg | Names | Should -Be @("$script:fp-c")
        Get-Container "$script:fp-*" -Image busybox, $script:fImg | Names | Should -Be @("$script:fp-a", "$script:fp-b", "$script:fp-c")
        Get-Container -Image "zz$([guid]::NewGuid().ToString('N'))" | Should -BeNullOrEmpty
    }
    It 'filters combine' {
        Get-Container -State Created -Image busybox -Label app | Names | Should -Be @("$script:fp-b")
    }
}

Describe 'Remove-Container -WhatIf' {
    It 'removes nothing<Case>' -ForEach @(
        @{ Case = ''; Force = $false }
        @{ Case = ', even with -Force on a running container'; Force = $true }
    ) {
        $c = New-Container busybox -Name (New-TestName 'whatif') sleep infinity
        try {
            if ($Force) { $c | Start-Container }
            Remove-Container -Name $c.Name -Force:$Force -WhatIf
            $c | Remove-Container -Force:$Force -WhatIf
            $after = Get-Container -Id $c.Id -ErrorAction SilentlyContinue
            $after | Should -Not -BeNullOrEmpty
            "$($after.State)" | Should -Be $(if ($Force) { 'Running' } else { 'Created' })
            Test-Path $c.BundlePath | Should -BeTrue
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}

Describe 'Remove-* -Force in pwsh -NonInteractive (issue 20 item 3)' {
    # -Force also confirms (Hyper-V's Remove-VM, Az's Remove-*): a script in cron or CI is never stuck on a prompt.
    BeforeAll {
        $script:nf = New-TestName 'nonint'
        $script:nfCtr = New-Container busybox -Name "$script:nf-run" sleep infinity | Start-Container -PassThru
        $script:nfKept = New-Container busybox -Name "$script:nf-kept" sleep 1
        $script:nfVol = New-ContainerVolume "$script:nf-vol"
        $script:nfNet = New-ContainerNetwork -Name "$script:nf-net"
        Import-ContainerImage -Path $script:BusyboxRootfs -Name "$script:nf-img" | Out-Null
        # Every Remove-* cmdlet with -Force is listed here, so a new one cannot be forgotten (checked below).
        $script:nfCommands = [ordered]@{
            'Remove-Container'        = "Remove-Container '$script:nf-run' -Force"
            'Remove-ContainerVolume'  = "Remove-ContainerVolume '$script:nf-vol' -Force"
            'Remove-ContainerNetwork' = "Remove-ContainerNetwork '$script:nf-net' -Force"
            'Remove-ContainerImage'   = "Remove-ContainerImage '$script:nf-img' -Force"
        }
        $body = @($script:nfCommands.GetEnumerator() | ForEach-Object {
                "try { $($_.Value) -ErrorAction Stop; 'OK:$($_.Key)' } catch { 'FAIL:$($_.Key):' + `$_.FullyQualifiedErrorId }"
            })
        # Without -Force the prompt still stands: the control that proves the child really is non-interactive.
        $body += "try { Remove-Container '$script:nf-kept' -ErrorAction Stop; 'OK:control' } catch { 'FAIL:control:' + `$_.FullyQualifiedErrorId }"
        $psi = [Diagnostics.ProcessStartInfo]::new((Get-Command dotnet).Source)
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$env:PODSHELL_MODULE_PATH' -ErrorAction Stop; $($body -join '; ')")) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $child = [Diagnostics.Process]::Start($psi)
        $errTask = $child.StandardError.ReadToEndAsync()
        $script:nfOut = @($child.StandardOutput.ReadToEnd() -split "`r?`n" | Where-Object { $_ })
        if (-not $child.WaitForExit(120000)) { Stop-Process -Id $child.Id -Force }
        $script:nfErr = $errTask.Result
    }
    AfterAll {
        Get-Container "$script:nf-*" | Remove-Container -Force -ErrorAction SilentlyContinue
        Remove-ContainerVolume "$script:nf-vol" -Force -ErrorAction SilentlyContinue
        Remove-ContainerNetwork "$script:nf-net" -Force -ErrorAction SilentlyContinue
        Remove-ContainerImage "$script:nf-img" -Force -ErrorAction SilentlyContinue
    }
    It 'every Remove-* cmdlet with -Force is checked here' {
        $withForce = @(Get-Command -Module PodShell -Verb Remove | Where-Object { $_.Parameters.ContainsKey('Force') }).Name | Sort-Object
        $withForce | Should -Be @($script:nfCommands.Keys | Sort-Object)
    }
    It '<_> -Force removes without a prompt' -ForEach @('Remove-Container', 'Remove-ContainerVolume', 'Remove-ContainerNetwork', 'Remove-ContainerImage') {
        $script:nfOut | Should -Contain "OK:$_" -Because "stderr: $script:nfErr"
    }
    It 'the objects are gone (a running container, a volume, a network, an image)' {
        Get-Container -Id $script:nfCtr.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path "/proc/$($script:nfCtr.Pid)" | Should -BeFalse
        Get-ContainerVolume | Where-Object Name -EQ "$script:nf-vol" | Should -BeNullOrEmpty
        Get-ContainerNetwork | Where-Object Name -EQ "$script:nf-net" | Should -BeNullOrEmpty
        Get-ContainerImage | Where-Object { $_.Names -contains "$($script:nf)-img:latest" } | Should -BeNullOrEmpty
    }
    It 'without -Force (and without -Confirm:$false) the prompt still stands and nothing is removed' {
        @($script:nfOut | Where-Object { $_ -like 'FAIL:control:*' }).Count | Should -Be 1
        Get-Container -Id $script:nfKept.Id | Should -Not -BeNullOrEmpty
    }
    It '-Force -WhatIf still removes nothing, and -Force -PassThru writes the removed container' {
        $c = New-Container busybox -Name "$script:nf-pt" sleep infinity | Start-Container -PassThru
        Remove-Container $c.Name -Force -WhatIf
        "$((Get-Container -Id $c.Id).State)" | Should -Be 'Running'
        $gone = @(Remove-Container $c.Name -Force -PassThru)
        $gone.Count | Should -Be 1
        $gone[0] | Should -BeOfType PodShell.Container
        $gone[0].Id | Should -Be $c.Id
        Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Pipeline binding' {
    BeforeAll {
        $script:pp = New-TestName 'pipe'
        $script:pipeNames = "$script:pp-1", "$script:pp-2", "$script:pp-3"
        foreach ($n in $script:pipeNames) { New-Container busybox -Name $n sleep infinity | Out-Null }
    }
    AfterAll {
        Get-Container "$script:pp-*" | Remove-Container -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
    It 'a [pscustomobject] with Name piped to Start-Container binds by property name' {
        [pscustomobject]@{ Name = $script:pipeNames[0] } | Start-Container
        "$((Get-Container $script:pipeNames[0]).State)" | Should -Be 'Running'
    }
    It 'Get-Container name | Get-ContainerCgroup binds the container' {
        $cg = Get-Container $script:pipeNames[0] | Get-ContainerCgroup
        $cg | Should -BeOfType PodShell.ContainerCgroup
        $cg.ContainerName | Should -Be $script:pipeNames[0]
        $cg.PidsCurrent | Should -BeGreaterOrEqual 1
    }
    It 'Get-Container name | Stop-Container -PassThru binds the object and passes it on stopped' {
        $out = @(Get-Container $script:pipeNames[0] | Stop-Container -Timeout 1 -PassThru)
        $out.Count | Should -Be 1
        $out[0] | Should -BeOfType PodShell.Container
        $out[0].Name | Should -Be $script:pipeNames[0]
        "$($out[0].State)" | Should -Be 'Exited'
    }
    It 'Get-ContainerImage busybox | New-Container binds the image object to -Image' {
        $name = "$script:pp-img"
        $c = Get-ContainerImage busybox | New-Container -Name $name -Command sleep, 1
        $c | Should -BeOfType PodShell.Container
        $c.Name | Should -Be $name
        $c.ImageId | Should -Be (Get-ContainerImage busybox).Id
        $c.Command | Should -Be @('sleep', '1')
    }
    It 'takes arrays of names' {
        $got = @(Get-Container -Name $script:pipeNames[1], $script:pipeNames[2])
        $got.Name | Sort-Object | Should -Be @($script:pipeNames[1], $script:pipeNames[2])
        Start-Container -Name $script:pipeNames[1], $script:pipeNames[2]
        @(Get-Container -Name $script:pipeNames[1], $script:pipeNames[2]).State | ForEach-Object { "$_" } | Should -Be @('Running', 'Running')
    }
    It 'takes wildcards' {
        @(Get-Container "$script:pp-*").Name | Sort-Object | Should -Be (@($script:pipeNames) + "$script:pp-img" | Sort-Object)
        @(Get-Container "$script:pp-[23]").Count | Should -Be 2
        $stopped = @(Stop-Container "$script:pp-[23]" -Timeout 1 -PassThru)
        $stopped.Name | Sort-Object | Should -Be @($script:pipeNames[1], $script:pipeNames[2])
    }
}

Describe 'Pipeline binding cannot bind the wrong noun''s name (issue 20 item 3)' {
    BeforeAll {
        # A container, a volume and a network that share one name: binding a container's Name as a volume or
        # network name would hit the wrong object.
        $script:wn = New-TestName 'noun'
        $script:wnCtr = New-Container busybox -Name $script:wn sleep 1
        $script:wnVol = New-ContainerVolume $script:wn
        $script:wnNet = New-ContainerNetwork -Name $script:wn
    }
    AfterAll {
        Remove-Container -Name $script:wn -Force -ErrorAction SilentlyContinue
        Remove-ContainerVolume $script:wn -Force -ErrorAction SilentlyContinue
        Remove-ContainerNetwork $script:wn -Force -ErrorAction SilentlyContinue
    }
    It 'Get-Container | Remove-ContainerVolume errors and removes no volume named like the container' {
        $err = $null
        Get-Container $script:wn | Remove-ContainerVolume -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -Not -BeNullOrEmpty
        "$($err[0])" | Should -Match 'PodShell\.Container is not a volume'
        Get-ContainerVolume $script:wn | Should -Not -BeNullOrEmpty
        Get-Container -Id $script:wnCtr.Id | Should -Not -BeNullOrEmpty
    }
    It 'Get-Container | Get-ContainerNetwork errors instead of looking up a network named like the container' {
        $err = $null
        $out = @(Get-Container $script:wn | Get-ContainerNetwork -ErrorVariable err -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        "$($err[0])" | Should -Match 'PodShell\.Container is not a network'
    }
    It 'Get-Container | Remove-ContainerNetwork errors and removes no network' {
        Get-Container $script:wn | Remove-ContainerNetwork -Force -ErrorAction SilentlyContinue
        Get-ContainerNetwork $script:wn | Should -Not -BeNullOrEmpty
    }
    It 'a deserialized container (Import-Clixml) is refused too' {
        $file = Join-Path $env:PODSHELL_TEST_ROOT "$(New-TestName 'nounxml').xml"
        try {
            Get-Container $script:wn | Export-Clixml $file
            $err = $null
            Import-Clixml $file | Get-ContainerVolume -ErrorVariable err -ErrorAction SilentlyContinue
            "$($err[0])" | Should -Match 'is not a volume'
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
    }
    It 'the right nouns still bind: objects, names, VolumeName/NetworkName and Name of plain objects' {
        (Get-ContainerVolume $script:wn | Get-ContainerVolume).Name | Should -Be $script:wn
        ($script:wn | Get-ContainerVolume).Name | Should -Be $script:wn
        ([pscustomobject]@{ Name = $script:wn } | Get-ContainerVolume).Name | Should -Be $script:wn
        ([pscustomobject]@{ VolumeName = $script:wn; Name = 'not-this' } | Get-ContainerVolume).Name | Should -Be $script:wn
        ([pscustomobject]@{ NetworkName = $script:wn } | Get-ContainerNetwork).Name | Should -Be $script:wn
        (Get-ContainerNetwork $script:wn | Get-ContainerNetwork).Name | Should -Be $script:wn
        # The container's own list of networks is the way from a container to its networks.
        $c = New-Container busybox -Name "$script:wn-on" -Network $script:wn sleep 1
        try { (Get-Container $c.Name | ForEach-Object Networks | Get-ContainerNetwork).Name | Should -Be $script:wn }
        finally { Remove-Container -Id $c.Id -Force }
    }
    It 'volume and network objects piped to Remove-* remove them' {
        $v = New-ContainerVolume "$script:wn-rm"
        $n = New-ContainerNetwork -Name "$script:wn-rm"
        (Get-ContainerVolume $v.Name | Remove-ContainerVolume -Force -PassThru).Name | Should -Be $v.Name
        ("$script:wn-rm" | Remove-ContainerNetwork -Force -PassThru).Name | Should -Be $n.Name
        Get-ContainerVolume | Where-Object Name -EQ $v.Name | Should -BeNullOrEmpty
        Get-ContainerNetwork | Where-Object Name -EQ $n.Name | Should -BeNullOrEmpty
    }
}

Describe 'A failure on one item does not stop the pipeline' {
    It 'Stop-Container writes one ContainerNotFound for the missing name and still stops the existing one' {
        $c = New-Container busybox -Name (New-TestName 'nonterm') sleep infinity | Start-Container -PassThru
        try {
            $errs = $null
            $out = @('missing1', $c.Name | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
                    Stop-Container -Timeout 1 -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ContainerNotFound,PodShell.StopContainerCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'missing1'
            $out.Count | Should -Be 1
            $out[0].Name | Should -Be $c.Name
            "$((Get-Container -Id $c.Id).State)" | Should -Be 'Exited'
        }
        finally { Remove-Container -Id $c.Id -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }
}

Describe 'One resolver: names and wildcards give each object once, in the order first named (issue 16 item 4)' {
    BeforeAll {
        $script:dp = New-TestName 'dedup'
        $script:dA = New-Container busybox -Name "$script:dp-a" sleep infinity
        $script:dB = New-Container busybox -Name "$script:dp-b" sleep infinity
        $script:dVol = New-ContainerVolume "$script:dp-v"
        $script:dNet = New-ContainerNetwork -Name "$script:dp-n"
        $script:dImg = New-TestName 'dedupimg'
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $script:dImg | Out-Null
    }
    AfterAll {
        Get-Container "$script:dp-*" | Remove-Container -Force -ErrorAction SilentlyContinue
        Remove-ContainerVolume "$script:dp-v*" -Force -ErrorAction SilentlyContinue
        Remove-ContainerNetwork "$script:dp-n*" -Force -ErrorAction SilentlyContinue
        Remove-ContainerImage "$script:dImg*" -Force -ErrorAction SilentlyContinue
    }
    It 'Get-Container a,<prefix>*,a gives a then b, each once' {
        $out = @(Get-Container "$script:dp-a", "$script:dp-*", "$script:dp-a")
        $out.Name | Should -Be @("$script:dp-a", "$script:dp-b")
        @(Get-Container -Id $script:dA.Id, $script:dA.Id.Substring(0, 12)).Count | Should -Be 1
    }
    It 'Start-Container and Stop-Container a,a* act on a once (one output object each)' {
        @(Start-Container "$script:dp-a", "$script:dp-a*" -PassThru).Count | Should -Be 1
        $stopped = @(Stop-Container "$script:dp-a", "$script:dp-a*" -Timeout 1 -PassThru)
        $stopped.Count | Should -Be 1
        $stopped[0].Name | Should -Be "$script:dp-a"
        @($script:dA, $script:dA | Start-Container -PassThru).Count | Should -Be 1 -Because 'the same object twice in one array is one container'
        @(Stop-Container -Id $script:dA.Id, $script:dA.Id -Timeout 1 -PassThru).Count | Should -Be 1
    }
    It 'a missing literal name writes ContainerNotFound and the rest goes on, each once' {
        $errs = $null
        $out = @(Get-Container "$script:dp-b", 'dedup-missing-zz', "$script:dp-b*" -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Name | Should -Be @("$script:dp-b")
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ContainerNotFound,PodShell.GetContainerCommand'
        $errs[0].TargetObject | Should -Be 'dedup-missing-zz'
    }
    It 'Remove-Container a,a* removes a once, with one PassThru object and no error' {
        $c = New-Container busybox -Name "$script:dp-rm" sleep 1
        $errs = $null
        $out = @(Remove-Container "$script:dp-rm", "$script:dp-r*" -Force -PassThru -ErrorVariable errs)
        $out.Count | Should -Be 1
        $errs | Should -BeNullOrEmpty
        Get-Container -Id $c.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It 'Get-ContainerImage, Get-ContainerVolume, Get-ContainerNetwork: a name and a wildcard for one object give it once' {
        @(Get-ContainerImage $script:dImg, "$script:dImg*", "${script:dImg}:latest").Count | Should -Be 1
        @(Get-ContainerVolume "$script:dp-v", "$script:dp-v*").Count | Should -Be 1
        @(Get-ContainerNetwork "$script:dp-n", "$script:dp-n*").Count | Should -Be 1
    }
    It 'Remove-ContainerVolume, Remove-ContainerNetwork and Remove-ContainerImage a,a* remove it once, without an error' {
        New-ContainerVolume "$script:dp-v2" | Out-Null
        New-ContainerNetwork -Name "$script:dp-n2" | Out-Null
        $errs = $null
        @(Remove-ContainerVolume "$script:dp-v2", "$script:dp-v2*" -Force -PassThru -ErrorVariable +errs).Count | Should -Be 1
        @(Remove-ContainerNetwork "$script:dp-n2", "$script:dp-n2*" -Force -PassThru -ErrorVariable +errs).Count | Should -Be 1
        $img2 = "$script:dImg-two"
        Import-ContainerImage -Path $script:BusyboxRootfs -Name $img2 | Out-Null
        @(Remove-ContainerImage $img2, "$img2*" -Force -PassThru -ErrorVariable +errs).Count | Should -Be 1
        $errs | Should -BeNullOrEmpty
        Get-ContainerImage "$img2*" | Should -BeNullOrEmpty
    }
}

Describe 'Ctrl+C' {
    It 'stops Wait-Container on a running container promptly and leaves the container running' {
        $c = New-Container busybox -Name (New-TestName 'ctrlc') sleep infinity | Start-Container -PassThru
        $ps = [powershell]::Create()
        $stopped = $false
        try {
            # The new runspace inherits this process's PODSHELL_* variables: the same store and cgroup parent.
            $ps.AddScript("Import-Module '$env:PODSHELL_MODULE_PATH' -ErrorAction Stop").Invoke() | Out-Null
            $ps.Commands.Clear()
            $ps.AddScript("'waiting'; Wait-Container -Id '$($c.Id)'") | Out-Null
            # A completed input collection: an open one would hold the script before its first statement.
            $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $inputData.Complete()
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $handle = $ps.BeginInvoke($inputData, $output)
            $deadline = [datetime]::UtcNow.AddSeconds(20)
            while ($output.Count -eq 0 -and -not $handle.IsCompleted -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            # Index, do not enumerate: a PSDataCollection's enumerator blocks until the collection completes.
            $output.Count | Should -BeGreaterThan 0
            "$($output[0])" | Should -Be 'waiting'
            Start-Sleep -Seconds 1
            $ps.InvocationStateInfo.State | Should -Be 'Running' -Because 'Wait-Container must still be waiting for a running container'

            # A bound (an unresponsive StopProcessing would block forever), not a benchmark.
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.StopAsync($null, $null)
            $stopped = $stop.Wait(5000)
            $sw.Stop()
            $stopped | Should -BeTrue -Because 'Wait-Container must end within 5 s of Ctrl+C'
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            "$((Get-Container -Id $c.Id).State)" | Should -Be 'Running'
            Test-Path "/proc/$($c.Pid)" | Should -BeTrue
        }
        finally {
            # Disposing a pipeline that did not stop would block this run too.
            if ($stopped -or $ps.InvocationStateInfo.State -ne 'Running') { $ps.Dispose() }
            Remove-Container -Id $c.Id -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
}
