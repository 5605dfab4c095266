#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check: every gate, in order, with one closing line for the whole run.
#   1. packages (make deps)
#   2. build: libkipc, tools, selftests (-Werror), the selftests also with
#      Linux 6.12's kselftest_harness.h; the module under sparse (C=2, any
#      warning fails) against the 6.1 and the 6.12 stock headers
#   3. checkpatch --strict on the kernel sources (any warning fails)
#   4. DKMS builds the module for the 6.1 and 6.12 headers (private tree)
#   5. the Debian packages: build, lintian, install, use, purge
#   6. host tests (no module needed), plain and under ASan/UBSan
#   7. the selftest suite in the VM on Linux 6.1 (stock, rt) and Linux
#      6.12 (stock, with the DKMS-built module, and debug; rt too with
#      --all)
#   8. on the 6.1 debug kernel, in one boot: the suite, the race fuzzer
#      and the line coverage of kipc.ko (scripts/fuzz.sh)
# The two debug kernels are built (once, cached) in the background
# meanwhile, one after the other.
#
#   check.sh [--quick|--all]   --quick: stock lane only; --all: also rt-6.12
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-$top/build}
quick=0 all=0
case "${1:-}" in
--quick) quick=1 ;;
--all) all=1 ;;
esac
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

# The debug kernels, 6.1 then 6.12, each announcing when it is ready.
build_debug_kernels() {
	local lane
	for lane in debug debug-6.12; do
		if tools/vm/kernels.sh image "$lane" "$build" > "$build/results/$lane-kernel.log" 2>&1; then
			echo ok > "$build/results/$lane-kernel.done"
		else
			echo failed > "$build/results/$lane-kernel.done"
		fi
	done
}
# debug_lane LANE [CMD...]: wait for LANE's kernel, then run the suite
# on it (or CMD, which prints the suite's totals).
debug_lane() {
	local lane=$1
	shift
	[ $# -gt 0 ] || set -- scripts/vm-lane.sh "$lane" "$build"
	echo "=== $lane kernel: waiting for the build"
	while [ ! -f "$build/results/$lane-kernel.done" ] && kill -0 "$debug_pid" 2>/dev/null; do
		sleep 10
	done
	if [ "$(cat "$build/results/$lane-kernel.done" 2>/dev/null)" = ok ]; then
		tail -3 "$build/results/$lane-kernel.log"
		suite "vm-$lane" "$@"
	else
		tail -40 "$build/results/$lane-kernel.log"
		echo "not ok - $lane kernel build"
		fail=$((fail + 1))
	fi
}

debug_pid=
if [ $quick = 0 ]; then
	echo "=== debug kernels: building in the background (logs: $build/kernel-debug*/build.log)"
	mkdir -p "$build/kernel-debug" "$build/kernel-debug-6.12"
	build_debug_kernels &
	debug_pid=$!
fi

gate "build (libkipc, tools, selftests, -Werror)" make -s BUILD="$build" userspace
gate "selftests with Linux 6.12's kselftest_harness.h" make -s BUILD="$build" userspace-6.12
gate "module build (stock 6.1) under sparse C=2" make -s BUILD="$build" sparse
gate "module build (stock 6.12) under sparse C=2" make -s BUILD="$build" sparse-6.12
gate "checkpatch --strict" make -s BUILD="$build" style
gate "DKMS build for 6.1 and 6.12" env BUILD="$build" scripts/check-dkms.sh
gate "Debian packages: build, lintian, install, use, purge" env BUILD="$build" scripts/check-packages.sh
suite host make -s BUILD="$build" host-test
suite host-asan make -s BUILD="$build" host-test-asan
suite vm-stock scripts/vm-lane.sh stock "$build"
if [ $quick = 0 ]; then
	suite vm-rt scripts/vm-lane.sh rt "$build"
	suite vm-stock-6.12 env KIPC_KMOD="$build/dkms/6.12/kipc.ko" scripts/vm-lane.sh stock-6.12 "$build"
	[ $all = 1 ] && suite vm-rt-6.12 scripts/vm-lane.sh rt-6.12 "$build"
	# One boot of the slow debug kernel: suite, fuzzer, coverage.
	debug_lane debug scripts/fuzz.sh "$build" "${FUZZ_SECONDS:-120}"
	grep -h '^kipc coverage: ' "$build/results/coverage.txt" 2>/dev/null | head -1
	debug_lane debug-6.12
	wait "$debug_pid" || true
fi

echo "=== summary ($(( $(date +%s) - start )) s)"
for f in $suites; do
	echo "  $f: $(tr '\n' ' ' < "$build/results/$f")"
done
[ -f "$build/results/coverage.txt" ] && echo "  $(head -1 "$build/results/coverage.txt")"
# What failed, again at the end, where a truncated log still shows it.
for f in $suites; do
	grep -q 'fail=[1-9]' "$build/results/$f" || continue
	echo "--- $f: failures"
	grep -a -E '^not ok|^# not ok|^# #  *FAIL|:Expected |: Test terminated|exit status|TIMEOUT|KIPC-VM-ERROR|KIPC-VM-PS|\[vm\]|BUG:|WARNING:|KASAN|Oops|blocked for more than|Kernel panic|Call Trace|state:D| kipc_[a-z_0-9]+\+0x' \
		"$build/results/$f.log" | grep -v '# SKIP' | head -60
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
