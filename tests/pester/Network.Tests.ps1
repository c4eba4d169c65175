BeforeAll {
    # Never podman's 10.88.0.0/16 or podman0: run.ps1 gives each run its own default subnet and bridge
    # (PODSHELL_DEFAULT_SUBNET, PODSHELL_BRIDGE) before the engine first reads them.
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:prefix = [regex]::Escape((($env:PODSHELL_DEFAULT_SUBNET -split '/')[0] -split '\.')[0..2] -join '.') + '\.'
    $script:bridge = $env:PODSHELL_BRIDGE
    $script:tag = Get-Random -Minimum 1 -Maximum 250
}

Describe 'Container networking' {
    It 'gives -Network none only a loopback interface' {
        $name = New-TestName 'none'
        New-Container busybox -Name $name -Network none -- busybox ip -o link | Start-Container
        Wait-Container $name | Should -Be 0
        $lines = @(Get-ContainerLog $name | ForEach-Object Line)
        $lines.Count | Should -Be 1
        $lines[0] | Should -Match ': lo:'
        Remove-Container $name -Confirm:$false
    }

    It 'answers on a published 127.0.0.1 port and leaves no rule behind' {
        $name = New-TestName 'web'
        $l = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        New-Container busybox -Name $name -Publish "127.0.0.1:${port}:8080" -- sh -c 'echo hello-pester > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp' | Start-Container
        try {
            $c = Get-Container $name
            $c.IPAddress | Should -Match "^$script:prefix"
            $c.Ports | Should -Be "127.0.0.1:${port}:8080/tcp"
            $body = $null
            for ($i = 0; $i -lt 100 -and -not $body; $i++) {
                try { $body = (Invoke-WebRequest "http://127.0.0.1:$port/" -TimeoutSec 5).Content } catch { Start-Sleep -Milliseconds 100 }
            }
            $body | Should -Be "hello-pester`n"
            (iptables-save) -join "`n" | Should -Match $c.Id
        }
        finally { Remove-Container $name -Force -Confirm:$false }
        (iptables-save) -join "`n" | Should -Not -Match $c.Id
        (iptables-save) -join "`n" | Should -Not -Match ([regex]::Escape($c.IPAddress + '/'))
    }

    It 'lets container A fetch a page from container B by name on a user network' {
        $net = New-TestName 'net'
        New-ContainerNetwork $net -Subnet "10.217.$script:tag.0/24" | Out-Null
        $b = New-TestName 'b'; $a = New-TestName 'a'
        try {
            New-Container busybox -Name $b -Network $net -- sh -c 'echo page-of-b > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp' | Start-Container | Out-Null
            New-Container busybox -Name $a -Network $net -- sh -c "for i in `$(busybox seq 50); do busybox wget -q -O - http://${b}:8080/ && exit 0; busybox sleep 0.2; done; exit 1" | Start-Container | Out-Null
            Wait-Container $a | Should -Be 0
            (Get-ContainerLog $a | ForEach-Object Line) | Should -Contain 'page-of-b'
            (Get-ContainerNetwork $net).Containers | Should -Contain $b
            { Remove-ContainerNetwork $net -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkInUse,PodShell.RemoveContainerNetworkCommand'
        }
        finally { Remove-ContainerNetwork $net -Force -Confirm:$false }
        Get-ContainerNetwork $net -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Container $a, $b -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'shares one net namespace between two containers with -Network container:name' {
        $p = New-TestName 'pod'; $s = New-TestName 'side'
        New-Container busybox -Name $p -- sleep 300 | Start-Container | Out-Null
        try {
            New-Container busybox -Name $s -Network "container:$p" -- sleep 300 | Start-Container | Out-Null
            $na = Get-ContainerNamespace $p | Where-Object Type -eq net
            $nb = Get-ContainerNamespace $s | Where-Object Type -eq net
            $nb.Inode | Should -Be $na.Inode
            $na.SharedWithHost | Should -BeFalse
        }
        finally { Remove-Container $s, $p -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'lets two containers on the default network reach each other by IP, and leaves no bridge or rule after removal' {
        $srv = New-TestName 'dsrv'; $cli = New-TestName 'dcli'
        try {
            $s = New-Container busybox -Name $srv -- sh -c 'echo page-by-ip > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp' | Start-Container -PassThru
            $s.IPAddress | Should -Match "^$script:prefix"
            (iptables-save) -join "`n" | Should -Match ([regex]::Escape("$((($env:PODSHELL_DEFAULT_SUBNET -split '/')[0]))/"))
            $c = New-Container busybox -Name $cli -- sleep 300 | Start-Container -PassThru
            $c.IPAddress | Should -Not -Be $s.IPAddress
            $page = Invoke-ContainerCommand $cli -- sh -c "for i in `$(busybox seq 50); do busybox wget -q -O - http://$($s.IPAddress):8080/ && exit 0; busybox sleep 0.2; done; exit 1"
            $page | Should -Contain 'page-by-ip'
            # And with nc: a raw TCP connection from one container to the other.
            $raw = Invoke-ContainerCommand $cli -- sh -c "printf 'GET /index.html HTTP/1.0\r\n\r\n' | busybox nc -w 5 $($s.IPAddress) 8080"
            $raw | Should -Contain 'page-by-ip'
            Test-Path "/sys/class/net/$script:bridge" | Should -BeTrue
        }
        finally { Remove-Container $cli, $srv -Force -Confirm:$false -ErrorAction SilentlyContinue }
        Test-Path "/sys/class/net/$script:bridge" | Should -BeFalse
        $rules = (iptables-save) -join "`n"
        $rules | Should -Not -Match ([regex]::Escape($env:PODSHELL_DEFAULT_SUBNET))
        $rules | Should -Not -Match $s.Id
        $rules | Should -Not -Match $c.Id
    }

    It 'serves a page from busybox httpd on a published 127.0.0.1 port of the default network, with the id in the rules until removal' {
        $name = New-TestName 'pub'
        $l = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        try {
            $c = New-Container busybox -Name $name -Publish "127.0.0.1:${port}:80" -- sh -c 'echo served-by-httpd > /tmp/index.html; exec busybox httpd -f -p 80 -h /tmp' | Start-Container -PassThru
            $rules = (iptables-save) -join "`n"
            $rules | Should -Match $c.Id
            $rules | Should -Match ([regex]::Escape("--to-destination $($c.IPAddress):80"))
            $body = $null
            for ($i = 0; $i -lt 100 -and -not $body; $i++) {
                try { $body = (Invoke-WebRequest "http://127.0.0.1:$port/index.html" -TimeoutSec 5).Content } catch { Start-Sleep -Milliseconds 100 }
            }
            $body | Should -Be "served-by-httpd`n"
        }
        finally { Remove-Container $name -Force -Confirm:$false }
        $rules = (iptables-save) -join "`n"
        $rules | Should -Not -Match $c.Id
        $rules | Should -Not -Match ([regex]::Escape($c.IPAddress + ':'))
        $rules | Should -Not -Match ([regex]::Escape($env:PODSHELL_DEFAULT_SUBNET))
        Test-Path "/sys/class/net/$script:bridge" | Should -BeFalse
    }

    It 'refuses a host port in use with PortInUse and sets nothing up' {
        $l = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0); $l.Start()
        $name = New-TestName 'busy'
        try {
            $c = New-Container busybox -Name $name -Publish "127.0.0.1:$($l.LocalEndpoint.Port):80" -- sleep 300
            { Start-Container $name -ErrorAction Stop } | Should -Throw -ErrorId 'PortInUse,PodShell.StartContainerCommand'
            (Get-Container $name).State | Should -Be Created
            (iptables-save) -join "`n" | Should -Not -Match $c.Id
        }
        finally { $l.Stop(); Remove-Container $name -Force -Confirm:$false }
    }
}
