#!/bin/busybox sh
# The initramfs's /init (busybox sh). Debian's kernel has virtio and 9p as modules: load them, mount the host's
# root read-only over virtio-9p and switch into it, where guest.sh (in the repo) does the rest.
# It never exits: PID 1 exiting panics the kernel; every failure powers the guest off after saying why.
/bin/busybox mkdir -p /proc /sys /dev /mnt /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
fail() {
    echo "podshell-guest: FAILED in the initramfs: $*"
    echo o > /proc/sysrq-trigger
    while :; do sleep 60; done
}
mount -t proc proc /proc || fail "mount proc"
mount -t sysfs sysfs /sys || fail "mount sysfs"
mount -t devtmpfs devtmpfs /dev || fail "mount devtmpfs"
for m in $(cat /modules.order); do
    insmod "/modules/$m.ko" || fail "insmod $m"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostroot /mnt || fail "mounting the host's root over 9p"
stage2=$(sed -n 's/.*podshell\.stage2=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$stage2" ] && [ -f "/mnt$stage2" ] || fail "no stage 2 script '$stage2' in the shared root"
mount --move /dev /mnt/dev || fail "move /dev"
mount --move /sys /mnt/sys || fail "move /sys"
mount --move /proc /mnt/proc || fail "move /proc"
exec switch_root /mnt /bin/sh "$stage2"
fail "switch_root"
