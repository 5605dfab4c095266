#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# One kernel lane of the test bed: build kipc.ko against LANE's kernel,
# boot it in qemu, run the selftest suite (or CMD), and record the totals
# in BUILD/results/LANE.
#
#   vm-lane.sh LANE BUILD [CMD...]
#
# KIPC_KMOD=/path/kipc.ko boots that module (one DKMS built for LANE's
# kernel, say) instead of building one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
lane=${1:?usage: vm-lane.sh stock|debug|rt BUILD [CMD...]}
build=$(realpath -m "${2:?BUILD}")
shift 2

img=$("$top/tools/vm/kernels.sh" image "$lane" "$build")
if [ -n "${KIPC_KMOD:-}" ]; then
	kmod=$(realpath -m "$KIPC_KMOD")
	[ -f "$kmod" ] || { echo "[lane $lane] no module $kmod"; exit 1; }
	echo "[lane $lane] module $kmod"
else
	kdir=$("$top/tools/vm/kernels.sh" kdir "$lane" "$build")
	echo "[lane $lane] module against $kdir"
	make -s -C "$top/kmod" KDIR="$kdir" OUT="$build/kmod-$lane" > "$build/kmod-$lane.log" 2>&1 || {
		tail -40 "$build/kmod-$lane.log"
		echo "[lane $lane] module build FAILED"
		exit 1
	}
	kmod=$build/kmod-$lane/kipc.ko
fi

timeout=${KIPC_VM_TIMEOUT:-2400}
[ "$lane" = debug ] && timeout=${KIPC_VM_TIMEOUT:-4200}
# Test watchdogs stretch on the KASAN kernel, which runs several times
# slower under emulation; they are hang detectors, not speed limits.
scale=1
[ "$lane" = debug ] && scale=4
[ $# -eq 0 ] && set -- env KIPC_TIMEOUT_SCALE=$scale /kipc/run-selftests.sh
mkdir -p "$build/results"
rc=0
"$top/tools/vm/run.sh" -k "$img" -m "$kmod" -b "$build" \
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
