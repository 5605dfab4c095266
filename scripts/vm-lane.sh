#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# One kernel lane of the test bed: build kipc.ko against LANE's kernel,
# boot it in qemu, run the selftest suite (or CMD), and record the totals
# in BUILD/results/LANE.
#
#   vm-lane.sh LANE BUILD [CMD...]
#   vm-lane.sh --env LANE      the env(1) words the suite runs under on LANE
#
# LANE: stock, rt, debug (Linux 6.1) or stock-6.12, rt-6.12, debug-6.12
# (tools/vm/kernels.sh).  The 6.1 lanes run the user space of BUILD; the
# 6.12 lanes run BUILD/userspace-6.12, whose tests are built with 6.12's
# kselftest_harness.h (make userspace-6.12, built here when missing).
# KIPC_KMOD=/path/kipc.ko boots that module (one DKMS built for LANE's
# kernel, say) instead of building one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
lane_env=0
if [ "${1:-}" = --env ]; then
	lane_env=1
	shift
fi
lane=${1:?usage: vm-lane.sh [--env] stock|rt|debug[-6.12] BUILD [CMD...]}
# Hang detectors sized at about twice a lane's normal run under TCG.
timeout=${KIPC_VM_TIMEOUT:-1200}
case "$lane" in debug*) timeout=${KIPC_VM_TIMEOUT:-2400} ;; esac
# Test watchdogs stretch on the KASAN kernel, which runs several times
# slower under emulation; they are hang detectors, not speed limits.
scale=1 backends= volume=100
case "$lane" in debug*) scale=4 backends=kmod,kmod_queue volume=10 ;; esac
# The debug lanes look for kernel reports: the library's conformance
# suite runs there only on the backends that use the module, and the
# volume tests send a tenth of their messages (selftests/common/kipc_test.h).
# One test binary may take half the lane's time before it counts as hung.
testenv="env KIPC_TIMEOUT_SCALE=$scale KIPC_TEST_TIMEOUT=$((timeout / 2))"
testenv="$testenv KIPC_TEST_BACKENDS=$backends KIPC_TEST_VOLUME=$volume"
if [ "$lane_env" = 1 ]; then
	echo "$testenv"
	exit 0
fi

build=$(realpath -m "${2:?BUILD}")
shift 2

img=$("$top/tools/vm/kernels.sh" image "$lane" "$build")
ubuild=$build
case "$lane" in
*-6.12)
	ubuild=$build/userspace-6.12
	make -s -C "$top" BUILD="$build" userspace-6.12 > "$build/userspace-6.12.log" 2>&1 || {
		tail -40 "$build/userspace-6.12.log"
		echo "[lane $lane] user space build with 6.12's harness FAILED"
		exit 1
	} ;;
esac
if [ -n "${KIPC_KMOD:-}" ]; then
	kmod=$(realpath -m "$KIPC_KMOD")
	[ -f "$kmod" ] || { echo "[lane $lane] no module $kmod"; exit 1; }
	echo "[lane $lane] module $kmod"
else
	kdir=$("$top/tools/vm/kernels.sh" kdir "$lane" "$build")
	echo "[lane $lane] module against $kdir"
	make -s -C "$top/kmod" KDIR="$kdir" OUT="$build/kmod-$lane" KIPC_WERROR=1 > "$build/kmod-$lane.log" 2>&1 || {
		tail -40 "$build/kmod-$lane.log"
		echo "[lane $lane] module build FAILED"
		exit 1
	}
	kmod=$build/kmod-$lane/kipc.ko
fi

[ $# -eq 0 ] && set -- $testenv /kipc/run-selftests.sh
mkdir -p "$build/results"
rc=0
"$top/tools/vm/run.sh" -k "$img" -m "$kmod" -b "$build" -u "$ubuild" \
	-t "$timeout" -n "$lane" -- "$@" || rc=$?

[ "$1" != env ] && exit $rc	# an ad-hoc command: its status is the answer
tot=$(grep -a '^kipc-selftests: ' "$build/vm/$lane.log" | tail -1 || true)
if [ -n "$tot" ]; then
	echo "$tot" > "$build/results/$lane"
else
	echo "kipc-selftests: pass=0 fail=1 skip=0" > "$build/results/$lane"
fi
# A clean suite in a VM that still failed (kernel report, rmmod, leak)
# counts as one more failure.
if [ $rc -ne 0 ] && ! grep -q 'fail=[1-9]' "$build/results/$lane"; then
	echo "kipc-selftests: pass=0 fail=1 skip=0" >> "$build/results/$lane"
fi
echo "[lane $lane] $(cat "$build/results/$lane" | tr '\n' ' ') (vm exit $rc)"
exit $rc
