# Objects through Start-Job and remoting (issue 20 item 3): both serialize to depth 1, where an enum or an object
# property would come back as its ToString(). PodShell.types.ps1xml gives the types that have one SerializationDepth
# 2, so a session that has PodShell loaded gets Container.State back as the enum and ContainerImage.Config as an
# object with its properties. Remoting is tested over SSH to 127.0.0.1, with an sshd this file starts on a free port
# with its own host key and configuration, and stops by its pid (never the system's ssh service).

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:ctrName = New-TestName 'ser'
    $script:ctr = New-Container busybox -Name $script:ctrName sleep 1
    $script:modulePath = $env:PODSHELL_MODULE_PATH

    # What every test checks on the objects that came back: the values a script uses, not type names.
    # -Rehydrated: the receiving side turned the enums back into PodShell enums (Start-Job does, where this session
    # has PodShell loaded). Invoke-Command does not rehydrate (PowerShell's deserializer, whatever the types file
    # says): an enum arrives as its number under the type name Deserialized.PodShell.<Enum>, its ToString() and the
    # table view show the name, and it equals the enum value and casts back to it.
    function Assert-Survived($Container, $Image, $Layers, [switch] $Rehydrated) {
        $Container.Name | Should -Be $script:ctrName
        if ($Rehydrated) {
            $Container.State | Should -BeOfType [PodShell.ContainerState]
            @($Container | Where-Object State -EQ 'Created').Count | Should -Be 1
        }
        else {
            $Container.State.PSObject.TypeNames[0] | Should -Be 'Deserialized.PodShell.ContainerState'
            $Container.State.ToString() | Should -Be 'Created'
            [PodShell.ContainerState] $Container.State | Should -Be ([PodShell.ContainerState]::Created)
            @($Container | Where-Object State -EQ ([PodShell.ContainerState]::Created)).Count | Should -Be 1
        }
        $Container.State | Should -Be ([PodShell.ContainerState]::Created)

        $Image.Config | Should -Not -BeOfType [string] -Because 'Config must keep its properties, not become its type name'
        $Image.Config.PSObject.TypeNames | Should -Contain 'Deserialized.PodShell.ImageConfig'
        @($Image.Config.Env) | Should -Be @((Get-ContainerImage busybox).Config.Env)
        @($Image.Config.Env) | Should -BeLike 'PATH=*'

        $kinds = @($Layers | ForEach-Object { [PodShell.LayerKind] $_.Kind })
        $kinds | Should -Contain ([PodShell.LayerKind]::Container)
        if ($Rehydrated) { $Layers | ForEach-Object { $_.Kind | Should -BeOfType [PodShell.LayerKind] } }
    }
}

AfterAll {
    if ($script:ctrName) { Remove-Container -Name $script:ctrName -Force -ErrorAction SilentlyContinue }
}

Describe 'Objects through Start-Job' {
    It 'keep Container.State as the enum, ContainerImage.Config as an object, OverlayLayer.Kind as the enum' {
        $job = Start-Job -ScriptBlock {
            param($ModulePath, $Name)
            Import-Module $ModulePath
            Get-Container $Name; Get-ContainerImage busybox; Get-OverlayLayer -Container $Name
        } -ArgumentList $script:modulePath, $script:ctrName
        $all = @($job | Receive-Job -Wait -AutoRemoveJob -ErrorAction Stop)
        Assert-Survived -Container $all[0] -Image $all[1] -Layers $all[2..($all.Count - 1)] -Rehydrated
    }

    It 'in a session without PodShell, State is the enum''s number under its Deserialized type name (PowerShell''s rule)' {
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command @"
`$r = Start-Job { Import-Module '$($script:modulePath)'; Get-Container '$($script:ctrName)' } | Receive-Job -Wait -AutoRemoveJob
"`$([int] `$r.State)|`$(`$r.State.PSObject.TypeNames[0])"
"@
        $LASTEXITCODE | Should -Be 0
        $out | Select-Object -Last 1 | Should -Be "$([int][PodShell.ContainerState]::Created)|Deserialized.PodShell.ContainerState"
    }
}

Describe 'Objects through Invoke-Command over SSH to 127.0.0.1' {
    BeforeAll {
        $script:sshd = @('/usr/sbin/sshd', '/usr/local/sbin/sshd') | Where-Object { Test-Path $_ } | Select-Object -First 1
        $script:skipReason = if (-not $script:sshd) { 'no sshd on this host (Debian package openssh-server; build.ps1 Bootstrap installs it)' }
            elseif (-not (Get-Command ssh -CommandType Application -ErrorAction Ignore)) { 'no ssh client on this host (openssh-client)' }
        if ($script:skipReason) { return }

        $dir = Join-Path $env:PODSHELL_TEST_ROOT (New-TestName 'sshd')
        New-Item -ItemType Directory -Path $dir | Out-Null
        & chmod 0700 $dir
        & ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" | Out-Null
        & ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" | Out-Null
        Copy-Item "$dir/client_key.pub" "$dir/authorized_keys"
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $script:port = $listener.LocalEndpoint.Port; $listener.Stop()
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        Set-Content "$dir/sshd_config" @"
Port $script:port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem powershell $dotnet $PSHOME/pwsh.dll -sshs -NoLogo -NoProfile
"@
        # sshd's privilege separation directory; made here only if the package's service never made it.
        $script:madePrivsep = -not (Test-Path /run/sshd)
        if ($script:madePrivsep) { New-Item -ItemType Directory /run/sshd | Out-Null; & chmod 0755 /run/sshd }
        $psi = [Diagnostics.ProcessStartInfo]::new($script:sshd)
        foreach ($a in '-D', '-e', '-f', "$dir/sshd_config") { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $script:sshdProcess = [Diagnostics.Process]::Start($psi)
        $script:sshdLog = $script:sshdProcess.StandardError.ReadToEndAsync()
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        $up = $false
        while (-not $up -and [datetime]::UtcNow -lt $deadline -and -not $script:sshdProcess.HasExited) {
            try { $c = [Net.Sockets.TcpClient]::new('127.0.0.1', $script:port); $c.Dispose(); $up = $true } catch { Start-Sleep -Milliseconds 100 }
        }
        if (-not $up) { throw "sshd did not listen on 127.0.0.1:$($script:port)" }
        $script:sshDir = $dir
    }
    AfterAll {
        if ($script:sshdProcess) {
            if (-not $script:sshdProcess.HasExited) { & kill -TERM $script:sshdProcess.Id; $null = $script:sshdProcess.WaitForExit(5000) }
            $script:sshdProcess.Dispose()
        }
        if ($script:madePrivsep) { Remove-Item /run/sshd -Recurse -Force -ErrorAction Ignore }
    }

    It 'keep Container.State and OverlayLayer.Kind as the enum''s value (not rehydrated), ContainerImage.Config as an object' {
        if ($script:skipReason) { Set-ItResult -Skipped -Because $script:skipReason; return }
        $graph = $env:PODSHELL_GRAPHROOT; $run = $env:PODSHELL_RUNROOT; $cg = $env:PODSHELL_CGROUP_PARENT
        $module = $script:modulePath; $name = $script:ctrName
        $all = @(Invoke-Command -HostName 127.0.0.1 -Port $script:port -UserName root -KeyFilePath "$script:sshDir/client_key" `
                -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } -ErrorAction Stop -ScriptBlock {
                $env:PODSHELL_GRAPHROOT = $using:graph
                $env:PODSHELL_RUNROOT = $using:run
                $env:PODSHELL_CGROUP_PARENT = $using:cg
                Import-Module $using:module
                Get-Container $using:name; Get-ContainerImage busybox; Get-OverlayLayer -Container $using:name
            })
        $all[0].PSComputerName | Should -Be '127.0.0.1'
        Assert-Survived -Container $all[0] -Image $all[1] -Layers $all[2..($all.Count - 1)]
    }
}
