# Dot-sourced by the v2 test files: whether this host is a pure cgroup v2 host, as the kernel says.
# Returns $null on one, else the reason the v2 tests skip.
function Get-NotV2Reason {
    $type = & stat -f -c %T /sys/fs/cgroup 2>$null
    if ($type -ne 'cgroup2fs') {
        return "needs a pure cgroup v2 host: /sys/fs/cgroup is '$type' here (./build.ps1 Test runs these tests in a v2 guest)"
    }
    if ((& id -u) -ne '0') { return 'needs root' }
    $null
}
