#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Boot a kernel under qemu with kipc.ko, libkipc, the tools and the tests
# in an initramfs, run one command (by default the selftest suite), and
# exit with its status.  WireGuard's qemu harness is the model.
#
#   run.sh -k bzImage -m kipc.ko -b BUILD [-u USERBUILD] [-t SECONDS] [-n NAME]
#          [--] [CMD...]
#
# The library, tools, tests and examples come from USERBUILD (default
# BUILD), e.g. a build of the tests against another kernel's harness.
#
# The console is streamed to stdout and saved in BUILD/vm/NAME.log.  The
# run fails when the command fails, when the kernel printed a BUG,
# WARNING, KASAN, UBSAN, lockdep or kmemleak report, when rmmod fails,
# or when the timeout expires.  An oops panics the guest (oops=panic),
# and a panic ends qemu at once (panic=-1, -no-reboot): a crashed kernel
# whose locks are left held fails the run now, not at the timeout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel= kmod= build= ubuild= timeout=900 name=vm mem=1G smp=2 append_extra=
while [ $# -gt 0 ]; do
	case "$1" in
	-k) kernel=$2; shift 2 ;;
	-m) kmod=$2; shift 2 ;;
	-b) build=$2; shift 2 ;;
	-u) ubuild=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	-n) name=$2; shift 2 ;;
	-a) append_extra=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ -n "$kernel" ] && [ -n "$kmod" ] && [ -n "$build" ] || {
	echo "usage: run.sh -k bzImage -m kipc.ko -b BUILD [-t SEC] [-n NAME] [CMD...]" >&2
	exit 2
}
cmd="${*:-/kipc/run-selftests.sh}"
ubuild=${ubuild:-$build}

work=$build/vm/$name
rm -rf "$work"
mkdir -p "$work/root"/{bin,sbin,proc,sys,dev,tmp,etc,root,kipc/bin,kipc/lib,kipc/tests}
root=$work/root

cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$here/init.sh" "$root/init"
cp "$kmod" "$root/kipc/kipc.ko"
printf '%s\n' "$cmd" > "$root/kipc/cmd"
# The guest's own watchdog fires a little before the host's timeout: it
# prints the blocked tasks and ends the command, so that a hang still
# yields the kernel's view of it and a result (tools/vm/init.sh).
margin=$((timeout / 10 < 60 ? 60 : timeout / 10))
[ "$timeout" -gt $((2 * margin)) ] && echo $((timeout - margin)) > "$root/kipc/watchdog"

# Users and groups the permission tests switch between.
cat > "$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
kipc1:x:1001:1001:kipc test 1:/tmp:/bin/sh
kipc2:x:1002:1002:kipc test 2:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<GROUP
root:x:0:
kipc1:x:1001:
kipc2:x:1002:
kipcshare:x:2000:kipc1,kipc2
nogroup:x:65534:
GROUP

# Userspace payload: everything the build produced for the VM.
[ -d "$ubuild/lib" ] && cp -a "$ubuild"/lib/libkipc.so* "$root/kipc/lib/" 2>/dev/null || true
[ -d "$ubuild/tools" ] && find "$ubuild/tools" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/kipc/bin/" \;
[ -d "$ubuild/selftests" ] && find "$ubuild/selftests" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/kipc/tests/" \;
[ -d "$ubuild/examples" ] && find "$ubuild/examples" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/kipc/bin/" \;
install -m 0755 "$here/../../selftests/run_selftests.sh" "$root/kipc/run-selftests.sh"
install -m 0755 "$here/demo-guest.sh" "$root/kipc/demo.sh"	# make demo

# Shared libraries the binaries need, at the paths the host has them.
for f in "$root"/kipc/bin/* "$root"/kipc/tests/*; do
	[ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	case "$lib" in "$ubuild"/*) continue ;; esac
	[ -e "$lib" ] && cp -L --parents "$lib" "$root/" 2>/dev/null || true
done
# The dynamic loader must exist at its canonical path.
mkdir -p "$root/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initramfs.cpio.gz"

accel="-accel tcg,thread=multi -cpu max" accel_tag=tcg
if grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -w /dev/kvm ]; then
	accel="-accel kvm -cpu host" accel_tag=kvm
fi
log=$build/vm/$name.log
echo "[vm] $name: kernel $(basename "$kernel"), ${accel%% -cpu*}, smp $smp, timeout ${timeout}s"
set +e
timeout --foreground -k 10 "$timeout" \
	qemu-system-x86_64 $accel -smp "$smp" -m "$mem" \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 clocksource=tsc tsc=reliable panic=-1 oops=panic loglevel=5 rdinit=/init kipc_vm=$accel_tag $append_extra" \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "[vm] $name: TIMEOUT after ${timeout}s"
	exit 124
fi
res=$(grep -a '^KIPC-VM-RESULT: ' "$log" | tail -1 | awk '{print $2}')
if [ -z "$res" ]; then
	echo "[vm] $name: no result from the VM (crash or panic), qemu exit $qrc"
	exit 1
fi
if grep -aqE '(BUG:|WARNING:|KASAN|UBSAN|Oops|Kernel panic)' "$log"; then
	echo "[vm] $name: kernel report on the console"
	exit 1
fi
[ "$res" = 0 ] && echo "[vm] $name: OK" || echo "[vm] $name: FAILED"
exit "$res"
