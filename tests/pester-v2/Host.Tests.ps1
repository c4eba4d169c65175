# The guest itself: a pure cgroup v2 host with every controller PodShell uses. Skips on any other host.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'V2Host.ps1')
    $script:NotV2 = Get-NotV2Reason
    if ($script:NotV2) { Write-Host "Skipping $([IO.Path]::GetFileName($PSCommandPath)): $script:NotV2" }
}

Describe 'A pure cgroup v2 host' -Skip:([bool] $NotV2) {
    It 'has /sys/fs/cgroup as cgroup2, with memory, cpu, io and pids enabled for children' {
        (& stat -f -c %T /sys/fs/cgroup) | Should -Be 'cgroup2fs'
        $enabled = (Get-Content /sys/fs/cgroup/cgroup.subtree_control -Raw).Trim() -split ' '
        foreach ($c in 'memory', 'cpu', 'io', 'pids') { $enabled | Should -Contain $c }
    }
}
