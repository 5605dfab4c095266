#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# /init of the kipc test VM: mount the basics, load the module, run the
# command in /kipc/cmd, scan for kernel reports, unload, power off.
# The host runner reads the KIPC-VM-* marker lines from the console.

/bin/busybox --install -s /bin
export PATH=/kipc/bin:/bin:/sbin
export LD_LIBRARY_PATH=/kipc/lib
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/shm /dev/mqueue /dev/pts /tmp /run /root
mount -t tmpfs tmp /tmp
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs run /run
mount -t mqueue mq /dev/mqueue 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
chmod 1777 /tmp
ip link set lo up 2>/dev/null
hostname kipc-vm

fail=0
echo "KIPC-VM-BOOTED: $(uname -r) $(nproc) cpus"

if ! insmod /kipc/kipc.ko; then
	echo "KIPC-VM-ERROR: insmod failed"
	fail=1
else
	chmod 0666 /dev/kipc 2>/dev/null
	cd /kipc || exit 1
	sh /kipc/cmd &
	cmd_pid=$!
	wd_pid=
	if [ -s /kipc/watchdog ]; then
		(
			wd=$(cat /kipc/watchdog)
			sleep "$wd"
			echo "KIPC-VM-ERROR: watchdog: the command still runs after $wd s; processes and blocked tasks:"
			# User processes (kernel threads have no cmdline): state
			# and where each one sleeps.
			for d in /proc/[0-9]*; do
				c=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
				[ -n "$c" ] || continue
				echo "KIPC-VM-PS: ${d#/proc/} $(cut -d' ' -f3 "$d/stat" 2>/dev/null)" \
					"$(cat "$d/wchan" 2>/dev/null) $c"
			done
			echo w > /proc/sysrq-trigger
			sleep 2
			# Every process but init and this one: the command ends.
			kill -9 -1
		) &
		wd_pid=$!
	fi
	wait $cmd_pid
	rc=$?
	[ -n "$wd_pid" ] && kill $wd_pid 2>/dev/null
	[ "$rc" -ne 0 ] && fail=1
	echo "KIPC-VM-CMD-RC: $rc"

	# One kmemleak scan for the whole suite, while the module is still
	# loaded so reports name its functions.  Objects younger than 5 s
	# are not reported, hence the pause.
	if [ -w /sys/kernel/debug/kmemleak ]; then
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		if [ -s /sys/kernel/debug/kmemleak ]; then
			cat /sys/kernel/debug/kmemleak
			echo "KIPC-VM-ERROR: kmemleak reports leaks"
			fail=1
		else
			echo "KIPC-VM: kmemleak clean"
		fi
	fi

	if rmmod kipc; then
		echo "KIPC-VM: rmmod ok"
	else
		echo "KIPC-VM-ERROR: rmmod failed"
		fail=1
	fi
fi

pattern='BUG:|WARNING:|KASAN|UBSAN|Oops|unreferenced object|circular locking|recursive locking|inconsistent lock state|suspicious RCU|lock held when returning|general protection fault|blocked for more than|Kernel panic'
if dmesg | grep -E "$pattern" > /tmp/reports; then
	echo "KIPC-VM-ERROR: kernel reports in dmesg:"
	dmesg | grep -E -A 30 "$pattern" | head -200
	fail=1
else
	echo "KIPC-VM: dmesg clean"
fi

echo "KIPC-VM-RESULT: $fail"
sync
poweroff -f
