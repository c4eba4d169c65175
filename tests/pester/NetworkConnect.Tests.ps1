BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:tag = Get-Random -Minimum 1 -Maximum 250
    function Get-BridgePortCount([string] $Bridge) { @(Get-ChildItem "/sys/class/net/$Bridge/brif" -ErrorAction SilentlyContinue).Count }
}

Describe 'Connect-ContainerNetwork and Disconnect-ContainerNetwork' {
    It 'gives a running container an interface on a second network, from which it fetches a page by name; Disconnect takes it away' {
        $net = New-TestName 'cn'
        $subnet = "10.221.$script:tag"
        $n = New-ContainerNetwork $net -Subnet "$subnet.0/24"
        $srv = New-TestName 'srv'; $cli = New-TestName 'cli'
        try {
            New-Container busybox -Name $srv -Network $net -- sh -c 'echo page-of-srv > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp' | Start-Container | Out-Null
            New-Container busybox -Name $cli -- sleep 300 | Start-Container | Out-Null
            $portsBefore = Get-BridgePortCount $n.NetworkInterface

            $c = Get-Container $cli | Connect-ContainerNetwork $net -PassThru -Confirm:$false
            $c.Networks | Should -Be @('podshell', $net)
            $ip2 = $c.IPAddresses[1]
            $ip2 | Should -Match "^$([regex]::Escape($subnet))\."
            (Get-Container $cli).IPAddresses | Should -Be $c.IPAddresses
            (Get-ContainerNetwork $net).Containers | Should -Contain $cli
            Get-BridgePortCount $n.NetworkInterface | Should -Be ($portsBefore + 1)
            (Invoke-ContainerCommand $cli -- busybox ip -o -4 addr show eth1) -join "`n" | Should -Match ([regex]::Escape("$ip2/24"))
            Invoke-ContainerCommand $cli -- cat /etc/hosts | Should -Contain "$ip2`t$($c.Hostname) $cli"
            $page = Invoke-ContainerCommand $cli -- sh -c "for i in `$(busybox seq 50); do busybox wget -q -O - http://${srv}:8080/ && exit 0; busybox sleep 0.2; done; exit 1"
            $page | Should -Contain 'page-of-srv'
            { Connect-ContainerNetwork $net $cli -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkAlreadyConnected,PodShell.ConnectContainerNetworkCommand'

            $d = Disconnect-ContainerNetwork $net $cli -PassThru -Confirm:$false
            $d.Networks | Should -Be @('podshell')
            @($d.IPAddresses).Count | Should -Be 1
            @(Invoke-ContainerCommand $cli -- ls /sys/class/net) | Sort-Object | Should -Be @('eth0', 'lo')
            (Invoke-ContainerCommand $cli -- cat /etc/hosts) -join "`n" | Should -Not -Match ([regex]::Escape($ip2))
            Get-BridgePortCount $n.NetworkInterface | Should -Be $portsBefore
            (iptables-save) -join "`n" | Should -Not -Match ([regex]::Escape($ip2))
            (Get-ContainerNetwork $net).Containers | Should -Not -Contain $cli
            { Disconnect-ContainerNetwork $net $cli -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkNotConnected,PodShell.DisconnectContainerNetworkCommand'
            # The container itself lives on, on its first network.
            (Get-Container $cli).State | Should -Be Running
        }
        finally { Remove-ContainerNetwork $net -Force -Confirm:$false; Remove-Container $cli -Force -Confirm:$false -ErrorAction SilentlyContinue }
        Test-Path "/sys/class/net/$($n.NetworkInterface)" | Should -BeFalse
        (iptables-save) -join "`n" | Should -Not -Match ([regex]::Escape("$subnet.0/24"))
    }

    It 'changes only the record of a created container; its start sets up both networks with the address asked for' {
        $net = New-TestName 'cc'
        $subnet = "10.222.$script:tag"
        New-ContainerNetwork $net -Subnet "$subnet.0/24" | Out-Null
        $name = New-TestName 'two'
        try {
            New-Container busybox -Name $name -- sleep 300 | Out-Null
            Connect-ContainerNetwork $net $name -WhatIf
            (Get-Container $name).Networks | Should -Be @('podshell')
            $c = Connect-ContainerNetwork $net $name -IPAddress "$subnet.40" -PassThru -Confirm:$false
            $c.Networks | Should -Be @('podshell', $net)
            $c.IPAddresses | Should -BeNullOrEmpty
            $s = Start-Container $name -PassThru
            $s.IPAddresses[1] | Should -Be "$subnet.40"
            @(Invoke-ContainerCommand $name -- ls /sys/class/net) | Sort-Object | Should -Be @('eth0', 'eth1', 'lo')
        }
        finally { Remove-Container $name -Force -Confirm:$false; Remove-ContainerNetwork $net -Force -Confirm:$false }
        (iptables-save) -join "`n" | Should -Not -Match ([regex]::Escape("$subnet.0/24"))
    }

    It 'refuses containers without a network of their own, and unknown networks and containers' {
        $none = New-TestName 'none'; $plain = New-TestName 'plain'
        New-Container busybox -Name $none -Network none -- true | Out-Null
        New-Container busybox -Name $plain -- true | Out-Null
        try {
            { Connect-ContainerNetwork bridge $none -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkModeNotConnectable,PodShell.ConnectContainerNetworkCommand'
            { Connect-ContainerNetwork host $plain -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkModeNotConnectable,PodShell.ConnectContainerNetworkCommand'
            { Connect-ContainerNetwork (New-TestName 'nonet') $plain -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkNotFound,PodShell.ConnectContainerNetworkCommand'
            { Connect-ContainerNetwork bridge (New-TestName 'noctr') -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ContainerNotFound,PodShell.ConnectContainerNetworkCommand'
            { Disconnect-ContainerNetwork (New-TestName 'nonet') $plain -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NetworkNotFound,PodShell.DisconnectContainerNetworkCommand'
        }
        finally { Remove-Container $none, $plain -Force -Confirm:$false }
    }

    It 'leaves a container whose last network is disconnected with only lo, and can connect it again' {
        $name = New-TestName 'alone'
        New-Container busybox -Name $name -- sleep 300 | Start-Container | Out-Null
        try {
            $d = Disconnect-ContainerNetwork bridge $name -PassThru -Confirm:$false
            $d.Networks | Should -BeNullOrEmpty
            $d.Network | Should -Be 'bridge'
            @(Invoke-ContainerCommand $name -- ls /sys/class/net) | Should -Be @('lo')
            Stop-Container $name -Timeout 0 | Out-Null
            Start-Container $name | Out-Null
            @(Invoke-ContainerCommand $name -- ls /sys/class/net) | Should -Be @('lo')
            (Invoke-ContainerCommand $name -- busybox ip -o link show lo) -join '' | Should -Match 'UP'
            $c = Connect-ContainerNetwork bridge $name -PassThru -Confirm:$false
            $c.Networks | Should -Be @('podshell')
            @(Invoke-ContainerCommand $name -- ls /sys/class/net) | Sort-Object | Should -Be @('eth0', 'lo')
        }
        finally { Remove-Container $name -Force -Confirm:$false }
    }
}

Describe 'Sharing the pid, ipc and uts namespaces' {
    It 'joins another container''s namespaces with container:NAME' {
        $a = New-TestName 'nsa'; $b = New-TestName 'nsb'
        New-Container busybox -Name $a -- sleep 300 | Start-Container | Out-Null
        try {
            New-Container busybox -Name $b -Pid "container:$a" -Ipc "container:$a" -Uts "container:$a" -- sleep 301 | Start-Container | Out-Null
            $na = Get-ContainerNamespace $a; $nb = Get-ContainerNamespace $b
            foreach ($t in 'pid', 'ipc', 'uts') {
                ($nb | Where-Object Type -eq $t).Inode | Should -Be ($na | Where-Object Type -eq $t).Inode -Because "$t is shared"
                ($nb | Where-Object Type -eq $t).SharedWithHost | Should -BeFalse
            }
            ($nb | Where-Object Type -eq net).Inode | Should -Not -Be ($na | Where-Object Type -eq net).Inode
            (Invoke-ContainerCommand $b -- ps) -join "`n" | Should -Match 'sleep 300'
            Invoke-ContainerCommand $b -- hostname | Should -Be (Invoke-ContainerCommand $a -- hostname)
        }
        finally { Remove-Container $b, $a -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'uses the host''s namespaces with host' {
        $h = New-TestName 'nsh'
        New-Container busybox -Name $h -Pid host -Ipc host -Uts host -- sleep 300 | Start-Container | Out-Null
        try {
            $ns = Get-ContainerNamespace $h
            foreach ($t in 'pid', 'ipc', 'uts') {
                ($ns | Where-Object Type -eq $t).SharedWithHost | Should -BeTrue -Because "$t is the host's"
            }
            ($ns | Where-Object Type -eq mnt).SharedWithHost | Should -BeFalse
            Invoke-ContainerCommand $h -- hostname | Should -Be ([System.Net.Dns]::GetHostName())
            (Invoke-ContainerCommand $h -- ps) -join "`n" | Should -Match "(?m)^\s*$PID\s"
        }
        finally { Remove-Container $h -Force -Confirm:$false }
    }

    It 'refuses a value other than host, private or container:NAME' {
        { New-Container busybox -Name (New-TestName 'bad') -Pid bridge -ErrorAction Stop -- true } | Should -Throw -ErrorId 'InvalidNamespaceMode,PodShell.NewContainerCommand'
    }
}
