#!/bin/sh
# Stage 2 of the cgroup v2 guest, run as PID 1 from the host's root (shared read-only over 9p) after
# switch_root. Makes the guest a pure cgroup v2 host as systemd would leave it, runs ONE pwsh with the v2
# test set (Invoke-GuestTests.ps1), and powers off. Parameters come on the kernel command line
# (podshell.<name>=<value>, no spaces). It never exits: PID 1 exiting panics the kernel.
arg() { sed -n "s/.*podshell\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "podshell-guest: $*"; }
off() {
    sync
    say "powering off"
    echo o > /proc/sysrq-trigger
    while :; do sleep 60; done
}
fail() { say "FAILED: $*"; off; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
REPO=$(arg repo); PSHOME_DIR=$(arg pshome); MODULE=$(arg module); PESTER=$(arg pester); USERJSON=$(arg rootlessuser)

mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "tmpfs on /tmp"
mount -t tmpfs -o mode=0755 tmpfs /run || fail "tmpfs on /run"
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fail "devpts"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "tmpfs on /dev/shm"
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
# systemd's cgroup2 mount (nsdelegate, memory_recursiveprot) and its root subtree_control: every controller.
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || fail "mount cgroup2"
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
say "cgroup2 controllers: $controllers"
for c in $controllers; do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control; done
# The test pwsh runs in a leaf cgroup as a login session would (a scope under user.slice), never in the root.
mkdir -p /sys/fs/cgroup/podshell-guest.slice/session.scope
for c in $controllers; do echo "+$c" > /sys/fs/cgroup/podshell-guest.slice/cgroup.subtree_control; done
echo $$ > /sys/fs/cgroup/podshell-guest.slice/session.scope/cgroup.procs || fail "moving into the session scope"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null || busybox ip link set lo up
for m in overlay virtio_blk loop; do modprobe "$m" || say "modprobe $m failed"; done
# The virtual disk as an ext4 file system: files read from it are block I/O that io.stat charges to the reader.
if [ -b /dev/vda ] && mkdir -p /tmp/disk && mkfs.ext4 -q -F /dev/vda && mount -t ext4 /dev/vda /tmp/disk; then
    export PODSHELL_V2_DISK=/tmp/disk
else
    say "no ext4 on the virtual disk: the io.stat test will skip"
fi
mkdir -p /tmp/out && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /tmp/out || fail "mounting the results export"
say "booted in $(cut -d' ' -f1 /proc/uptime) s (kernel $(uname -r))"

export HOME=/tmp/home DOTNET_CLI_HOME=/tmp/home TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb NO_COLOR=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
mkdir -p "$HOME"
# Output through a pipe, not the serial tty: .NET asks a terminal for the cursor position (ESC[6n), which
# nobody answers here. catatonit: a subreaper for the orphans of the run (conmon double-forks), as systemd is on a real host.
reaper=""; command -v catatonit >/dev/null && reaper="catatonit --"
cd /tmp
$reaper dotnet "$PSHOME_DIR/pwsh.dll" -NoProfile -NonInteractive -File "$REPO/build/CgroupV2Guest/Invoke-GuestTests.ps1" \
    -Repo "$REPO" -ModulePath "$MODULE" -PesterPath "$PESTER" -SummaryPath /tmp/out/summary.json -RootlessUserPath "$USERJSON" \
    -Uptime "$(cut -d' ' -f1 /proc/uptime)" 2>&1 | cat
say "pwsh ended after $(cut -d' ' -f1 /proc/uptime) s of uptime"
sync
umount /tmp/out
off
