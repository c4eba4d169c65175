<#
.SYNOPSIS
Builds the cgroup v2 guest's initramfs from the host's installed kernel modules and busybox.

.DESCRIPTION
Debian's kernel has virtio and 9p as modules, so the guest needs them before it can mount the host's root:
the modules virtio_pci, 9pnet_virtio and 9p with their dependencies (read from modules.dep, loaded
dependencies first; modules built into the kernel are skipped; .ko.xz/.ko.zst/.ko.gz are decompressed here,
since busybox insmod takes plain .ko), a static busybox and init.sh as /init, packed as a gzip'd newc cpio.
Returns the path of the file written.
#>
param(
    [Parameter(Mandatory)] [string] $KernelVersion,
    [Parameter(Mandatory)] [string] $OutFile,
    [string] $Busybox = '/bin/busybox'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$moduleRoot = "/lib/modules/$KernelVersion"
$depFile = Join-Path $moduleRoot 'modules.dep'
if (-not (Test-Path $depFile)) { throw "No ${depFile}: the modules of kernel $KernelVersion are not installed." }
if (-not (Test-Path $Busybox)) { throw "No static busybox at $Busybox (Debian: busybox-static)." }
# The initramfs has no libc: a dynamically linked busybox names its loader in a PT_INTERP segment.
if ([Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes((Resolve-Path $Busybox).Path), 0, 4096) -match 'ld-linux') {
    throw "$Busybox is not statically linked (Debian: busybox-static)."
}

# modules.dep: "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz ..."
$deps = @{}; $files = @{}
foreach ($line in [IO.File]::ReadAllLines($depFile)) {
    $colon = $line.IndexOf(':')
    if ($colon -lt 0) { continue }
    $file = $line.Substring(0, $colon)
    $name = ([IO.Path]::GetFileName($file) -replace '\.ko(\.(xz|zst|gz))?$', '') -replace '-', '_'
    $files[$name] = $file
    $deps[$name] = @($line.Substring($colon + 1).Trim() -split '\s+' | Where-Object { $_ } |
        ForEach-Object { ([IO.Path]::GetFileName($_) -replace '\.ko(\.(xz|zst|gz))?$', '') -replace '-', '_' })
}
$builtin = @{}
$builtinFile = Join-Path $moduleRoot 'modules.builtin'
if (Test-Path $builtinFile) {
    foreach ($line in [IO.File]::ReadAllLines($builtinFile)) {
        $builtin[(([IO.Path]::GetFileName($line) -replace '\.ko$', '') -replace '-', '_')] = $true
    }
}
$order = [Collections.Generic.List[string]]::new()
function Add-Module([string] $name) {
    if ($order.Contains($name) -or $builtin.ContainsKey($name)) { return }
    if (-not $files.ContainsKey($name)) { throw "Kernel $KernelVersion has no module $name (and it is not built in)." }
    foreach ($d in $deps[$name]) { Add-Module $d }
    $order.Add($name)
}
foreach ($m in 'virtio_pci', '9pnet_virtio', '9p') { Add-Module $m }

$work = Join-Path ([IO.Path]::GetTempPath()) ("podshell-initramfs-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
try {
    foreach ($d in 'bin', 'modules') { New-Item -ItemType Directory -Force (Join-Path $work $d) | Out-Null }
    Copy-Item $Busybox (Join-Path $work 'bin/busybox')
    Copy-Item (Join-Path $PSScriptRoot 'init.sh') (Join-Path $work 'init')
    & chmod 0755 (Join-Path $work 'init') (Join-Path $work 'bin/busybox')
    foreach ($name in $order) {
        $src = Join-Path $moduleRoot $files[$name]
        $dst = Join-Path $work "modules/$name.ko"
        switch -Regex ($src) {
            '\.xz$' { & sh -c 'xz -dc "$0" > "$1"' $src $dst }
            '\.zst$' { & sh -c 'zstd -qdc "$0" > "$1"' $src $dst }
            '\.gz$' { & sh -c 'gzip -dc "$0" > "$1"' $src $dst }
            default { Copy-Item $src $dst }
        }
        if ($LASTEXITCODE -ne 0 -or -not (Test-Path $dst)) { throw "Cannot decompress $src." }
    }
    Set-Content (Join-Path $work 'modules.order') ($order -join "`n")
    $out = [IO.Path]::GetFullPath($OutFile)
    & sh -c 'cd "$0" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$1"' $work $out
    if ($LASTEXITCODE -ne 0) { throw "Packing the initramfs into $out failed." }
    $out
}
finally { Remove-Item -Recurse -Force $work -ErrorAction Ignore }
