#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check: every gate, in order, with one closing line for the whole run.
#   1. packages (make deps)
#   2. build: libkipc, tools, selftests (-Werror); the module under sparse
#      (C=2, any warning fails)
#   3. checkpatch --strict on the kernel sources (any warning fails)
#   4. host tests (no module needed), plain and under ASan/UBSan
#   5. the selftest suite in the VM on the stock, rt and debug kernels
#   6. the race fuzzer on the debug kernel (scripts/fuzz.sh)
# The debug kernel is built (once, cached) in the background meanwhile.
#
#   check.sh [--quick]     --quick: stock lane only
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-$top/build}
quick=0
[ "${1:-}" = "--quick" ] && quick=1
mkdir -p "$build/results"
rm -f "$build"/results/*

pass=0 fail=0 skip=0 suites=
gate() {	# gate NAME CMD...: a pass/fail step
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
	fi
}
tally() {	# add a "kipc-selftests: pass=P fail=F skip=S" file
	local f=$1 p fl s
	[ -f "$f" ] || { fail=$((fail + 1)); return; }
	while read -r line; do
		p=$(echo "$line" | sed -n 's/.*pass=\([0-9]*\).*/\1/p')
		fl=$(echo "$line" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
		s=$(echo "$line" | sed -n 's/.*skip=\([0-9]*\).*/\1/p')
		pass=$((pass + ${p:-0})) fail=$((fail + ${fl:-0})) skip=$((skip + ${s:-0}))
	done < "$f"
}
suite() {	# suite NAME CMD...: a step that prints kipc-selftests totals
	local name=$1 log=$build/results/$1.log
	shift
	suites="$suites $name"
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	grep -a '^kipc-selftests: ' "$log" | tail -1 > "$build/results/$name" || true
	if [ ! -s "$build/results/$name" ]; then
		echo "kipc-selftests: pass=0 fail=1 skip=0" > "$build/results/$name"
	elif [ "$rc" -ne 0 ] && ! grep -q 'fail=[1-9]' "$build/results/$name"; then
		echo "kipc-selftests: pass=0 fail=1 skip=0" >> "$build/results/$name"
	fi
	tally "$build/results/$name"
}

start=$(date +%s)
if ! scripts/deps.sh; then
	echo "deps failed"
	echo "0 passed, 1 failed"
	exit 1
fi

debug_pid=
if [ $quick = 0 ]; then
	echo "=== debug kernel: building in the background (log: $build/kernel-debug/build.log)"
	mkdir -p "$build/kernel-debug"
	tools/vm/build-debug-kernel.sh "$build/kernel-debug" > "$build/results/debug-kernel.log" 2>&1 &
	debug_pid=$!
fi

gate "build (libkipc, tools, selftests, -Werror)" make -s BUILD="$build" userspace
gate "module build (stock) under sparse C=2" make -s BUILD="$build" sparse
gate "checkpatch --strict" make -s BUILD="$build" style
suite host make -s BUILD="$build" host-test
suite host-asan make -s BUILD="$build" host-test-asan
suite vm-stock scripts/vm-lane.sh stock "$build"
if [ $quick = 0 ]; then
	suite vm-rt scripts/vm-lane.sh rt "$build"
	echo "=== debug kernel: waiting for the build"
	if wait "$debug_pid"; then
		tail -3 "$build/results/debug-kernel.log"
		suite vm-debug scripts/vm-lane.sh debug "$build"
		suite vm-fuzz scripts/fuzz.sh "$build" "${FUZZ_SECONDS:-120}"
	else
		tail -40 "$build/results/debug-kernel.log"
		echo "not ok - debug kernel build"
		fail=$((fail + 1))
	fi
fi

echo "=== summary ($(( $(date +%s) - start )) s)"
for f in $suites; do
	echo "  $f: $(tr '\n' ' ' < "$build/results/$f")"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
